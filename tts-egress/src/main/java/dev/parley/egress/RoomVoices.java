package dev.parley.egress;

import dev.parley.events.PlaybackEvent;
import dev.parley.livekit.AgentTokens;
import dev.parley.livekit.LiveKitRooms;
import dev.parley.schemas.Identities;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** The agent's voice joining a session's room: as the session's voice, or as a standby that takes a session over. */
final class RoomVoices {
  private final EgressConfig config;
  private final String instance;
  private final VoiceSession.Voices voices;
  private final Consumer<PlaybackEvent> playback;
  private final AgentTokens tokens;
  /**
   * A standby's identity carries this instance's tag and a count: LiveKit pushes out a participant whose identity
   * another one joins with, and neither the session's voice on a peer only thought dead nor another join of this
   * instance may be pushed out.
   */
  private final AtomicInteger joins = new AtomicInteger();
  private LiveKitRooms rooms;

  RoomVoices(EgressConfig config, String instance, VoiceSession.Voices voices, Consumer<PlaybackEvent> playback) {
    this.config = config;
    this.instance = instance;
    this.voices = voices;
    this.playback = playback;
    this.tokens = new AgentTokens(config.apiKey(), config.apiSecret(), Duration.ofHours(2));
  }

  /** Joins {@code room} as {@code session}'s voice ({@code agent-voice-<session>}). */
  VoiceSession join(String session, String room) {
    return open(session, room, Identities.voice(session));
  }

  /** Joins {@code room} silently, for a session taken over from another instance. */
  VoiceSession joinAsStandby(String session, String room) {
    return open(session, room, Identities.voice(session,
        Integer.toHexString(instance.hashCode() & 0xffff) + "-" + joins.incrementAndGet()));
  }

  private VoiceSession open(String session, String room, String identity) {
    return new VoiceSession(session, config.livekitUrl(), tokens.join(room, identity, "Parley agent"), voices,
        config.loopbackOnly(), playback, name -> {
          try {
            rooms().close(name);
          } catch (java.io.IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(RoomVoices.class).warn("session {}: could not close room {} to end"
                + " the call: {}", session, name, e.getMessage());
          }
        });
  }

  /** Who is in a room, asked of the LiveKit server (created on first use). */
  synchronized LiveKitRooms rooms() {
    if (rooms == null) {
      rooms = new LiveKitRooms(config.livekitUrl(), config.apiKey(), config.apiSecret());
    }
    return rooms;
  }
}
