package dev.parley.livekit;

/** What an agent worker does with jobs the LiveKit server offers it. Called on the worker's own thread: don't block. */
public interface JobHandler {

  /** Whether to take the job offered for {@code request}'s room; declining lets the server try another worker. */
  default boolean accept(JobRequest request) {
    return true;
  }

  /** The job is ours: join {@link Job#room()} with {@link Job#token()} at {@link Job#url()}, then call {@link Job#running()}. */
  void onAssignment(Job job);

  /** The server ended the job (room closed, dispatch deleted, or we failed it). */
  default void onTermination(Job job) {}

  /** A job offer: the room and, for participant jobs, the participant. */
  record JobRequest(String jobId, String roomName, String roomSid, String metadata, String agentName) {}
}
