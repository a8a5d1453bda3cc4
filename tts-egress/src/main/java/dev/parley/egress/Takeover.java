package dev.parley.egress;

import dev.parley.events.SessionStarted;
import dev.parley.livekit.LiveKitRooms;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions that come to this instance with their partitions (another instance crashed, or the group rebalanced):
 * read back from the sessions topic, each still-live call gets its voice again (a standby already in the room, or a
 * new join) and goes on from the voice position its former holder last wrote.
 */
final class Takeover {
  private static final Logger log = LoggerFactory.getLogger(Takeover.class);
  private final EgressConfig config;
  private final Standbys standbys;
  private final Supplier<LiveKitRooms> rooms;
  private final BiFunction<String, String, VoiceSession> joinAsStandby;

  Takeover(EgressConfig config, Standbys standbys, Supplier<LiveKitRooms> rooms,
      BiFunction<String, String, VoiceSession> joinAsStandby) {
    this.config = config;
    this.standbys = standbys;
    this.rooms = rooms;
    this.joinAsStandby = joinAsStandby;
  }

  /**
   * Rejoins the live sessions of newly assigned partitions: a session whose voice instance crashed
   * (or moved in a rebalance) goes on being spoken by this one. Reads the sessions topic back over
   * the resume window; a session started and not ended, whose caller is still in the room, gets its
   * voice again (the replies after the last committed offset follow from the main loop). Sessions {@code here}
   * already are skipped; each one resumed is handed to {@code resumed}.
   */
  void resume(List<Integer> partitions, Predicate<String> here, BiConsumer<String, VoiceSession> resumed) {
    if (partitions.isEmpty() || config.resumeWindow().isZero()) {
      return;
    }
    Map<String, SessionStarted> open;
    try {
      open = dev.parley.kit.TopicWindow.openSessions(config.bootstrapServers(), partitions, config.resumeWindow(),
          Duration.ofSeconds(30));
    } catch (RuntimeException e) {
      log.warn("cannot read back the sessions of partitions {} to resume them: {}", partitions, e.getMessage());
      return;
    }
    open.keySet().removeIf(here);
    Map<String, ResumePoint> where = open.isEmpty() ? Map.of() : voicePositions(partitions);
    for (Map.Entry<String, SessionStarted> entry : open.entrySet()) {
      String session = entry.getKey();
      Standbys.Claimed standby = standbys.claim(session);
      if (standby == null && !rooms.get().callerIn(entry.getValue().getRoomName())) {
        continue; // a call that ended without its SessionEnded (its ingress crashed too): nothing to rejoin
      }
      try {
        ResumePoint point = where.get(session);
        VoiceSession voice = standby != null ? standby.voice() : joinAsStandby.apply(session, entry.getValue().getRoomName());
        if (point != null) {
          voice.resumeFrom(point);
          if (standby != null && standby.cut() != null && standby.cutOffset() == point.replyOffset()
              && voice.accept(standby.cutOffset())) { // the rest of the cut sentence at once, not after a fetch
            voice.chunk(standby.cut(), standby.cutOffset());
          }
        }
        if (voice.callerPresent()) {
          resumed.accept(session, voice);
          log.info("session {}: resumed in room {} (its voice had been lost with another instance; {}), {}", session,
              entry.getValue().getRoomName(), standby != null ? "was standing by" : "joined now", point == null ? "no voice position: from its first unheard reply"
                  : "from replies offset " + point.replyOffset() + (point.sentenceDone() ? " (heard to its end)"
                  : " at " + point.audioMs() + " ms of its audio"));
        } else {
          voice.close();
          log.info("session {}: not resumed, nobody is left in room {}", session, entry.getValue().getRoomName());
        }
      } catch (RuntimeException e) {
        log.warn("session {}: cannot resume in room {}: {}", session, entry.getValue().getRoomName(), e.getMessage());
      }
    }
  }

  /**
   * The newest voice position of each session of {@code partitions} written in the last {@link #POSITIONS_WINDOW}
   * (a session's holder writes one at least every second; a session that ended has none).
   */
  private Map<String, ResumePoint> voicePositions(List<Integer> partitions) {
    Map<String, ResumePoint> where = new java.util.HashMap<>();
    try {
      dev.parley.kit.TopicWindow.read(config.bootstrapServers(), Topics.VOICE_POSITIONS.name(), partitions,
          POSITIONS_WINDOW, Duration.ofSeconds(10), record -> {
            if (record.value() == null) {
              where.remove(record.key());
              return;
            }
            try {
              where.put(record.key(), ResumePoint.of(
                  Topics.VOICE_POSITIONS.valueSerde().deserializer().deserialize(null, record.value())));
            } catch (RuntimeException unreadable) {
              log.warn("unreadable voice position of session {} at offset {}: skipped", record.key(), record.offset());
            }
          });
    } catch (RuntimeException e) {
      log.warn("cannot read the voice positions of partitions {}: sessions resume from their first unheard reply ({})",
          partitions, e.getMessage());
    }
    return where;
  }

  /** How far back a taking-over instance looks for voice positions (the fall-back group timeout is 10 s). */
  static final Duration POSITIONS_WINDOW = Duration.ofSeconds(30);
}
