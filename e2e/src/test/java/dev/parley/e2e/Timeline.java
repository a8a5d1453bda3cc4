package dev.parley.e2e;

import dev.parley.events.AgentTurn;
import dev.parley.events.PlaybackEvent;
import dev.parley.events.RoutingDecision;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserSpeechStarted;
import dev.parley.events.UserTurn;
import dev.parley.insights.Progress;
import dev.parley.insights.Recorded;
import dev.parley.insights.SessionLog;
import dev.parley.insights.SessionTimeline;
import dev.parley.insights.Stage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One session as the topics hold it, read with the same code as {@code parley replay session}. */
record Timeline(String sessionId, SessionTimeline timeline) {

  static Timeline read(String bootstrap, String session) {
    try (SessionLog log = new SessionLog(bootstrap)) {
      return new Timeline(session, SessionTimeline.of(session, log.session(session)));
    }
  }

  /** The session id that ingress gave the call in {@code room} (started in the last ten minutes). */
  static String sessionOfRoom(String bootstrap, String room) {
    List<String> found = new ArrayList<>();
    try (SessionLog log = new SessionLog(bootstrap)) {
      log.scan(Instant.now().minus(Duration.ofMinutes(10)), Instant.now().plusSeconds(60), Duration.ofMinutes(10), r -> {
        if (r.event() instanceof SessionStarted started && started.getRoomName().equals(room)) {
          found.add(r.key());
        }
      }, Progress.NONE);
    }
    return found.stream().findFirst().orElseThrow(() -> new AssertionError("no session for room " + room));
  }

  /** "topic:EventType" per event, e.g. "user-turns:UserTurn", "playback:INTERRUPTED". */
  List<String> events() {
    return timeline.events().stream().map(r -> shortTopic(r) + ":" + (r.event() instanceof PlaybackEvent p
        ? p.getKind().name() : r.event().getClass().getSimpleName())).toList();
  }

  String decision() {
    return timeline.events().stream().filter(r -> r.event() instanceof RoutingDecision).map(r -> r.event().toString())
        .findFirst().orElse("");
  }

  long firstUserSpeech() {
    return timeline.events().stream().filter(r -> r.event() instanceof UserSpeechStarted && !r.routed())
        .mapToLong(Recorded::timestamp).min().orElseThrow();
  }

  /** When tts-egress cut the agent off (its first INTERRUPTED playback event), epoch ms. */
  long firstInterruption() {
    return timeline.events().stream().filter(r -> r.event() instanceof PlaybackEvent p
        && p.getKind() == dev.parley.events.PlaybackKind.INTERRUPTED)
        .mapToLong(r -> ((PlaybackEvent) r.event()).getAt().toEpochMilli()).min().orElseThrow();
  }

  /** How long caller turn {@code index} waited between the user-turns topic and its agent's topic (ms). */
  long routingMs(int index) {
    return timeline.userTurns().get(index).stages().getOrDefault(Stage.ROUTING, -1L);
  }

  /** Voice-to-voice latency split by stage for the first user turn, with the first audio as the caller heard it. */
  String stages(long firstAgentAudioAtCaller) {
    SessionTimeline.Turn turn = timeline.userTurns().get(0);
    UserTurn user = turn.user();
    AgentTurn answer = turn.agent();
    Map<Stage, Long> stages = turn.stages();
    long spoken = user.getSpeechStoppedAt().toEpochMilli();
    long firstChunk = spoken + stages.getOrDefault(Stage.ENDPOINTING_STT, 0L) + stages.getOrDefault(Stage.ROUTING, 0L)
        + stages.getOrDefault(Stage.LLM_FIRST_SENTENCE, 0L);
    return String.format("voice-to-voice stages (ms): end of speech -> transcript %d (endpointing + STT; STT alone"
        + " %d) | -> routed to the agent topic %d | -> first reply sentence on Kafka %d (LLM first token %s,"
        + " first sentence %s) | -> first agent audio at the caller %d (TTS + WebRTC; egress recorded playback"
        + " start %s ms after the sentence) | total %d", stages.get(Stage.ENDPOINTING_STT), user.getSttLatencyMs(),
        stages.get(Stage.ROUTING), stages.get(Stage.LLM_FIRST_SENTENCE), answer.getTimeToFirstTokenMs(),
        answer.getTimeToFirstChunkMs(), firstAgentAudioAtCaller - firstChunk, stages.get(Stage.TTS_FIRST_AUDIO),
        firstAgentAudioAtCaller - spoken);
  }

  private static String shortTopic(Recorded r) {
    if (r.routed()) {
      return "agent";
    }
    return switch (r.topic()) {
      case "parley.sessions.v1" -> "sessions";
      case "parley.user-turns.v1" -> "user-turns";
      case "parley.routing-decisions.v1" -> "decisions";
      case "parley.agent-replies.v1" -> "replies";
      case "parley.playback.v1" -> "playback";
      case "parley.session-summaries.v1" -> "session-summaries";
      default -> r.topic();
    };
  }
}
