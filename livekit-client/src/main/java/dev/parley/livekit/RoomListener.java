package dev.parley.livekit;

/** What happens in a room, as seen by a {@link RoomParticipant}. Called on the participant's event thread. */
public interface RoomListener {
  default void onParticipantJoined(String identity, String metadata) {}

  default void onParticipantLeft(String identity) {}

  /** A data message: the sender's identity (empty when sent by the server), the topic and the bytes. */
  default void onData(String fromIdentity, String topic, byte[] payload) {}

  /**
   * A 10 ms frame of a remote audio track: interleaved signed 16-bit little-endian PCM (usually
   * 48 kHz mono, 960 bytes). Called on libwebrtc's audio thread with a copy: hand it off, don't block.
   */
  default void onAudio(String participantIdentity, String trackSid, byte[] pcm, int sampleRate, int channels) {}

  /** The connection ended: we left, the server sent us away, or the signal connection dropped. */
  default void onDisconnected(String reason) {}
}
