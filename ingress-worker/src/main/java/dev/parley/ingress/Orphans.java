package dev.parley.ingress;

import dev.parley.schemas.Identities;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserTurn;
import dev.parley.kit.TopicWindow;
import dev.parley.schemas.Topics;
import dev.parley.livekit.LiveKitRooms;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls whose listener died: self-hosted LiveKit does not dispatch a crashed worker's jobs again, so
 * ingress-worker does it. At start-up it reads the sessions topic back over the resume window; a
 * session started and not ended, whose room still holds its caller but no listening agent, is
 * dispatched again with {@value #RESUME_KEY} in the job metadata, and the worker that takes the job
 * continues the same session (same id, turn numbering after the last transcribed turn).
 */
final class Orphans {
  static final String RESUME_KEY = "parley_resume_session";

  /** The session id a re-dispatched job continues, from its metadata; null when it is a new call or the id is not ours. */
  static String resumedSession(String metadata) {
    try {
      com.fasterxml.jackson.databind.JsonNode node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(metadata == null || metadata.isBlank() ? "{}" : metadata);
      String id = node == null ? null : node.path(RESUME_KEY).asText(null);
      return id != null && id.matches("s-[A-Za-z0-9_-]{1,64}") ? id : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }
  private static final Logger log = LoggerFactory.getLogger(Orphans.class);
  private static final Duration READ_LIMIT = Duration.ofSeconds(30);
  private final IngressConfig config;

  Orphans(IngressConfig config) {
    this.config = config;
  }

  /** Dispatches the orphaned calls again; returns how many. */
  int redispatch() {
    if (config.resumeWindow().isZero()) {
      return 0;
    }
    Map<String, SessionStarted> open = TopicWindow.openSessions(config.bootstrapServers(), null,
        config.resumeWindow(), READ_LIMIT);
    if (open.isEmpty()) {
      return 0;
    }
    int sent = 0;
    for (Map.Entry<String, SessionStarted> entry : open.entrySet()) {
      String room = entry.getValue().getRoomName();
      try {
        List<String> present = rooms().participants(room);
        if (present.isEmpty()) {
          continue; // the room is gone
        }
        boolean caller = present.contains(entry.getValue().getParticipantIdentity());
        boolean listened = present.stream().anyMatch(Identities::isListener);
        if (caller && !listened) {
          dispatchAgain(entry.getKey(), room);
          log.info("session {}: its listener is gone but the caller is still in room {}; dispatched again", entry.getKey(),
              room);
          sent++;
        }
      } catch (java.io.IOException | RuntimeException e) {
        log.warn("session {}: cannot check room {} for a lost listener: {}", entry.getKey(), room, e.getMessage());
      }
    }
    return sent;
  }

  private LiveKitRooms rooms;

  private synchronized LiveKitRooms rooms() {
    if (rooms == null) {
      rooms = new LiveKitRooms(config.livekitUrl(), config.apiKey(), config.apiSecret());
    }
    return rooms;
  }

  /**
   * Builds the LiveKit clients and asks each one question, so that the first real take-over does not wait while they
   * load: it took 660 ms to check a room and dispatch its call cold, 160 ms warm. Best effort.
   */
  void warm() {
    rooms().warm();
  }

  /** Asks LiveKit for a new job in {@code room} that continues {@code session} (the worker reads it from the metadata). */
  void dispatchAgain(String session, String room) throws java.io.IOException {
    rooms().dispatch(room, config.agentName(), "{\"" + RESUME_KEY + "\":\"" + session + "\"}");
  }

  /** Whether someone other than an agent is in {@code room}, as LiveKit's room service says (false if it cannot say). */
  boolean callerIn(String room) {
    return rooms().callerIn(room);
  }

  /**
   * Where a session's listening stopped: the number of turns already transcribed (a resumed session numbers its next
   * turn after them), and whether the caller had begun a turn that was never transcribed (speech started after the
   * last turn: its audio died with the listener).
   */
  record Left(int turns, boolean turnInFlight) {}

  Left leftOf(String session) {
    int[] next = {0};
    boolean[] inFlight = {false};
    TopicWindow.read(config.bootstrapServers(), Topics.USER_TURNS.name(), List.of(Topics.partitionOf(session)),
        config.resumeWindow(), READ_LIMIT, record -> {
          if (!session.equals(record.key())) {
            return;
          }
          try {
            Object event = Topics.USER_TURNS.valueSerde().deserializer().deserialize(null, record.value()).getEvent();
            if (event instanceof UserTurn turn) {
              next[0] = Math.max(next[0], turn.getTurnIndex() + 1);
              inFlight[0] = false;
            } else if (event instanceof dev.parley.events.UserSpeechStarted) {
              inFlight[0] = true;
            }
          } catch (RuntimeException unreadable) {
            // not an event (the router dead-letters those): no turn in it
          }
        });
    return new Left(next[0], inFlight[0]);
  }
}
