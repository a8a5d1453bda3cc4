package dev.parley.livekit;

/** Connection events of an agent worker. */
public interface WorkerListener {
  /** Registered with the server (again, after a reconnect). */
  default void onRegistered(String workerId) {}

  /** The connection to the server was lost; the worker reconnects by itself with back-off. */
  default void onDisconnected(String reason) {}
}
