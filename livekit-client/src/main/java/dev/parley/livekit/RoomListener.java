package dev.parley.livekit;

/** What happens in a room, as seen by a {@link RoomParticipant}. Called on the participant's event thread. */
public interface RoomListener {
  default void onParticipantJoined(String identity, String metadata) {}

  default void onParticipantLeft(String identity) {}

  /** A data message: the sender's identity (empty when sent by the server), the topic and the bytes. */
  default void onData(String fromIdentity, String topic, byte[] payload) {}

  /** The connection ended: we left, the server sent us away, or the signal connection dropped. */
  default void onDisconnected(String reason) {}
}
