package dev.parley.insights;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.events.UserTurn;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A turn's trace id (read from its record's {@code traceparent} header by Tracing.traceId) is what `parley replay` prints. */
class TurnTraceTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

  @Test
  void theReplayShowsEachTracedTurnsTraceAndNothingForAnUntracedOne() {
    Instant t0 = Instant.parse("2026-12-04T10:00:00Z");
    SessionTimeline timeline = SessionTimeline.of("s-1", List.of(
        new Recorded("parley.user-turns.v1", 0, 1, t0.toEpochMilli(), "s-1", turn("s-1-t0", 0, "hello", t0), false,
            TRACE),
        new Recorded("parley.user-turns.v1", 0, 2, t0.toEpochMilli() + 5000, "s-1",
            turn("s-1-t1", 1, "thanks", t0.plusSeconds(5)), false)));

    assertThat(timeline.userTurns()).extracting(SessionTimeline.Turn::traceId).containsExactly(TRACE, null);
    assertThat(timeline.toText()).contains("caller: hello\n  trace:  " + TRACE + "\n")
        .contains("caller: thanks\n  agent:");
    assertThat(timeline.toJson().get("turns").get(0).get("trace_id").asText()).isEqualTo(TRACE);
    assertThat(timeline.toJson().get("turns").get(1).get("trace_id").isNull()).isTrue();
  }

  private static UserTurn turn(String id, int index, String words, Instant at) {
    return UserTurn.newBuilder().setSessionId("s-1").setTurnId(id).setTurnIndex(index).setTranscript(words)
        .setConfidence(0.9).setSpeechStartedAt(at).setSpeechStoppedAt(at.plusMillis(800))
        .setTranscribedAt(at.plusMillis(900)).setSttProvider("moonshine").setSttLatencyMs(100).setLanguage("en-US")
        .build();
  }
}
