package dev.parley.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.PlaybackKind;
import dev.parley.events.TurnOutcome;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.schemas.Topics;
import dev.parley.localstack.HeadlessChromium;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.imageio.ImageIO;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Timelines and analytics over generated sessions on the real broker, checked against hand-computed
 * values. Agent ids are unique to the run, since the topics are shared with other tests.
 */
@ExtendWith(KafkaBrokerExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InsightsIT {
  private final String run = UUID.randomUUID().toString().substring(0, 8);
  private final String support = "an-support-" + run;
  private final String sales = "an-sales-" + run;
  // From now on, up to ~3 minutes ahead (the broker accepts an hour): records are timestamped as they are
  // written in the real pipeline, and analytics relies on that (a record is at most 5 min older than the
  // ones before it in its partition). Back-dated records behind newer ones would end a partition's read early.
  private final long base = Instant.now().toEpochMilli();
  private String bootstrap;

  @BeforeAll
  void writeSessions(TestKafka kafka) {
    bootstrap = kafka.bootstrapServers();
    try (SessionWriter w = new SessionWriter(kafka, List.of(support, sales))) {
      w.config(SessionWriter.seed("support-agent-v1", support));
      w.config(SessionWriter.seed("sales-agent-v1", sales));
      int routing = 1; // the 8 support turns are routed in 1..8 ms, the 6 sales turns in 11..16 ms
      // support: final fields resolved/escalation_needed/sentiment/priority per session
      routing = supportSession(w, "s1", 0, routing, List.of(
          fields("account", "neutral", 2, false, false), fields("account", "negative", 3, true, false)), -1, -1);
      routing = supportSession(w, "s2", 20_000, routing, List.of(fields("billing", "negative", 5, false, true)),
          -1, -1);
      routing = supportSession(w, "s3", 40_000, routing, List.of(fields("technical", "neutral", 2, false, false),
          fields("technical", "positive", 1, true, false), "{}"), 2, -1);
      routing = supportSession(w, "s4", 60_000, routing, List.of(fields("account", "negative", 4, false, false),
          fields("account", "neutral", 2, true, false)), -1, 0);
      assertEquals(9, routing);
      int salesRouting = 11;
      salesRouting = salesSession(w, "s5", 80_000, salesRouting, List.of("discovery", "needs_analysis", "presentation"),
          60, "[\"pricing\",\"api\"]");
      salesRouting = salesSession(w, "s6", 100_000, salesRouting, List.of("discovery"), 20, "[\"pricing\"]");
      salesRouting = salesSession(w, "s7", 120_000, salesRouting, List.of("discovery", "closing"), 90, "[]");
      assertEquals(17, salesRouting);
      w.garbage(Topics.AGENT_REPLIES.name(), id("s7"), base + 130_000);
    }
  }

  private static String fields(String category, String sentiment, int priority, boolean resolved, boolean escalate) {
    return String.format("{\"issue_category\":\"%s\",\"sentiment\":\"%s\",\"priority\":%d,\"issue_resolved\":%s,"
        + "\"escalation_needed\":%s}", category, sentiment, priority, resolved, escalate);
  }

  /** A support call: greeting, then one user turn per fields JSON; turn {@code fallbackAt} falls back. */
  private int supportSession(SessionWriter w, String name, long offset, int routing, List<String> turns,
      int fallbackAt, int interruptedAt) {
    String session = id(name);
    long t = base + offset;
    w.started(session, "room-" + name + "-" + run, t);
    w.decided(session, support, t + 5);
    w.answer(session, support, session + "#greeting", "Hi, how can I help?", "{}", TurnOutcome.OK, t + 20);
    w.playback(session, session + "#greeting", PlaybackKind.STARTED, t + 220, null, null);
    w.playback(session, session + "#greeting", PlaybackKind.FINISHED, t + 1200, "Hi, how can I help?", null);
    for (int i = 0; i < turns.size(); i++) {
      long stopped = t + 3000 + i * 4000L;
      w.speechStarted(session, stopped - 1500);
      String text = i == 1 && name.equals("s4") ? "I typed <b>hello</b> & it failed" : "problem number " + i;
      var turn = w.userTurn(session, support, i + 1, text, stopped, routing);
      long chunkAt = stopped + 300 + routing + 500;
      boolean fallback = i == fallbackAt;
      w.answer(session, support, turn.getTurnId(), fallback ? "Sorry, say that again?" : "Answer " + i + ". More.",
          turns.get(i), fallback ? TurnOutcome.FALLBACK : TurnOutcome.OK, chunkAt);
      if (turns.get(i).contains("\"escalation_needed\":true")) {
        w.escalation(session, support, turn.getTurnId(), "escalation_needed", turns.get(i), chunkAt + 60);
      }
      w.playback(session, turn.getTurnId(), PlaybackKind.STARTED, chunkAt + 200, null, null);
      if (i == interruptedAt) {
        w.speechStarted(session, chunkAt + 700);
        w.playback(session, turn.getTurnId(), PlaybackKind.INTERRUPTED, chunkAt + 760, "Answer " + i + ".", "More.");
      } else {
        w.playback(session, turn.getTurnId(), PlaybackKind.FINISHED, chunkAt + 1500, "Answer " + i + ". More.", null);
      }
      routing++;
    }
    w.ended(session, t + 3000 + turns.size() * 4000L);
    if (name.equals("s4")) {
      w.summary(session, support, "The caller could not log in; the account was unlocked.", turns.get(1),
          t + 3000 + turns.size() * 4000L + 900);
    }
    return routing;
  }

  private int salesSession(SessionWriter w, String name, long offset, int routing, List<String> stages, int score,
      String painPoints) {
    String session = id(name);
    long t = base + offset;
    w.started(session, "room-" + name + "-" + run, t);
    w.decided(session, sales, t + 5);
    for (int i = 0; i < stages.size(); i++) {
      long stopped = t + 3000 + i * 4000L;
      var turn = w.userTurn(session, sales, i + 1, "sales talk " + i, stopped, routing);
      long chunkAt = stopped + 300 + routing + 500;
      boolean last = i == stages.size() - 1;
      w.answer(session, sales, turn.getTurnId(), "Sure.", String.format("{\"sales_stage\":\"%s\","
          + "\"customer_intent\":\"%s\",\"pain_points\":%s,\"qualification_score\":%d,\"objections_raised\":[],"
          + "\"next_step\":\"call\"}", stages.get(i), last && score > 50 ? "high" : "low", last ? painPoints : "[]",
          last ? score : 10), TurnOutcome.OK, chunkAt);
      w.playback(session, turn.getTurnId(), PlaybackKind.STARTED, chunkAt + 200, null, null);
      routing++;
    }
    return routing;
  }

  private String id(String name) {
    return name + "-" + run;
  }


  @Test
  void theTimelineHoldsEveryTurnWithItsFieldsStagesAndInterruption() {
    SessionTimeline timeline;
    try (SessionLog log = new SessionLog(bootstrap)) {
      timeline = SessionTimeline.of(id("s4"), log.session(id("s4")));
    }
    assertEquals(support, timeline.agentId());
    assertEquals(3, timeline.turns().size(), "greeting + two caller turns");
    assertEquals(List.of("problem number 0", "I typed <b>hello</b> & it failed"),
        timeline.userTurns().stream().map(t -> t.user().getTranscript()).toList());
    SessionTimeline.Turn first = timeline.userTurns().get(0);
    assertTrue(first.interrupted());
    // s4 is the fourth support session: its turns were routed in 7 and 8 ms (s1: 1-2, s2: 3, s3: 4-6)
    assertEquals(java.util.Map.of(Stage.ENDPOINTING_STT, 300L, Stage.ROUTING, 7L, Stage.LLM_FIRST_TOKEN, 120L,
        Stage.LLM_FIRST_SENTENCE, 500L, Stage.LLM_TOTAL, 550L, Stage.TTS_FIRST_AUDIO, 200L,
        Stage.VOICE_TO_VOICE, 1007L), first.stages());
    assertEquals("negative", first.fields().get("sentiment").asText());

    ObjectNode json = timeline.toJson();
    assertEquals("room-s4-" + run, json.at("/session/room").asText());
    assertEquals("support", json.at("/session/room_metadata/purpose").asText());
    assertEquals(support, json.at("/routing/0/agent_id").asText());
    assertEquals("INTERRUPTED", json.at("/turns/1/playback/result").asText());
    assertEquals("More.", json.at("/turns/1/playback/unheard").asText());
    assertEquals(8, json.at("/turns/2/stages_ms/routing").asLong());
    assertEquals("caller left", json.at("/ended/reason").asText());
    assertEquals("The caller could not log in; the account was unlocked.", timeline.summary().getSummary());
    assertEquals("neutral", json.at("/summary/final_fields/sentiment").asText());
    List<String> topicsInOrder = new ArrayList<>();
    long previous = Long.MIN_VALUE;
    for (JsonNode event : json.get("events")) {
      assertTrue(event.get("offset_ms").asLong() >= previous, "events are in time order");
      previous = event.get("offset_ms").asLong();
      topicsInOrder.add(event.get("topic").asText());
    }
    assertEquals(Topics.SESSIONS.name(), topicsInOrder.get(0));
    assertEquals(Topics.SESSION_SUMMARIES.name(), topicsInOrder.get(topicsInOrder.size() - 1));
    assertTrue(topicsInOrder.contains(Topics.agent(support).name()), "the routed copies are on the timeline");

    String text = timeline.toText();
    assertTrue(text.contains("caller: I typed <b>hello</b> & it failed"), text);
    assertTrue(text.contains("  summary: The caller could not log in; the account was unlocked.\n"), text);
    assertTrue(text.contains("playback: INTERRUPTED after 900 ms; heard \"Answer 0.\", not heard \"More.\""), text);
    String html = timeline.toHtml();
    assertTrue(html.contains("I typed &lt;b&gt;hello&lt;/b&gt; &amp; it failed"), "transcripts are escaped");
    assertFalse(html.contains("<b>hello</b>"));
    assertFalse(html.contains("<script"), "the page runs no script");
  }

  @Test
  void anEscalationIsPartOfTheReplay() {
    SessionTimeline timeline;
    try (SessionLog log = new SessionLog(bootstrap)) {
      timeline = SessionTimeline.of(id("s2"), log.session(id("s2")));
    }
    assertEquals(1, timeline.escalations().size());
    assertEquals("escalation_needed", timeline.escalations().get(0).getField());
    String text = timeline.toText();
    assertTrue(text.contains("ESCALATION by escalation_needed in " + id("s2") + "-t1: a human should take over"),
        text);
  }

  @Test
  void anUnknownSessionGetsAClearMessage() {
    try (SessionLog log = new SessionLog(bootstrap)) {
      SessionNotFoundException e = assertThrows(SessionNotFoundException.class, () -> log.session("nope-" + run));
      assertTrue(e.getMessage().contains("no events for session 'nope-" + run + "'"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> log.session(" "));
    }
  }

  @Test
  void aggregatesMatchHandComputedValues() {
    ObjectNode report;
    try (SessionLog log = new SessionLog(bootstrap)) {
      report = Analytics.run(log, new Analytics.Options(Instant.ofEpochMilli(base - 1000),
          Instant.ofEpochMilli(base + 200_000), Set.of(support, sales), Duration.ofMinutes(5)), Progress.NONE);
    }
    assertEquals(7, report.get("sessions").asInt());
    assertTrue(report.get("undecodable_records").asLong() >= 1, "the garbage record was counted, not fatal");
    JsonNode s = agent(report, support);
    assertEquals(4, s.get("sessions").asInt());
    assertEquals(8, s.get("user_turns").asInt());
    assertEquals(2.0, s.at("/turns_per_session/mean").asDouble());
    assertEquals(2, s.at("/turns_per_session/p50").asInt()); // [1,2,2,3]
    assertEquals(3, s.at("/turns_per_session/max").asInt());
    assertEquals(0.125, s.get("fallback_rate").asDouble()); // 1 of 8 answers
    assertEquals(0.125, s.get("interruption_rate").asDouble());
    assertEquals(1, s.get("escalated_sessions").asInt()); // s2's escalation event
    assertEquals(0.25, s.get("escalation_rate").asDouble());
    // final values: s1 resolved, s2 escalated, s3 resolved (its fallback turn does not count), s4 resolved
    assertEquals(0.75, s.at("/highlights/issue resolution rate").asDouble());
    assertEquals(0.25, s.at("/highlights/escalation rate").asDouble());
    assertEquals(1, s.at("/fields/sentiment/distribution/positive").asInt());
    assertEquals(1, s.at("/fields/sentiment/distribution/neutral").asInt());
    assertEquals(2, s.at("/fields/sentiment/distribution/negative").asInt());
    assertEquals(2.75, s.at("/fields/priority/mean").asDouble()); // (3 + 5 + 1 + 2) / 4
    assertEquals(2, s.at("/fields/issue_category/distribution/account").asInt());
    // routing hop: 1..8 ms over the 8 turns; nearest rank p50 = 4th = 4, p99 = 8
    assertEquals(8, s.at("/latency_ms/routing/count").asInt());
    assertEquals(4, s.at("/latency_ms/routing/p50").asInt());
    assertEquals(8, s.at("/latency_ms/routing/p99").asInt());
    assertEquals(300, s.at("/latency_ms/endpointing_stt/p99").asInt());
    assertEquals(1004, s.at("/latency_ms/voice_to_voice/p50").asInt());

    JsonNode sales = agent(report, this.sales);
    assertEquals(3, sales.get("sessions").asInt());
    assertEquals(6, sales.get("user_turns").asInt());
    JsonNode funnel = sales.at("/highlights/sales stage funnel");
    assertEquals(List.of(3, 2, 2, 1, 1), List.of(funnel.get(0).get("sessions").asInt(), funnel.get(1).get("sessions")
        .asInt(), funnel.get(2).get("sessions").asInt(), funnel.get(3).get("sessions").asInt(),
        funnel.get(4).get("sessions").asInt()), "discovery, needs_analysis, presentation, objection_handling, closing");
    assertEquals(56.6667, sales.at("/highlights/qualification score").asDouble()); // (60 + 20 + 90) / 3
    assertEquals(60, sales.at("/fields/qualification_score/p50").asInt());
    assertEquals(2, sales.at("/fields/pain_points/items/pricing").asInt());
    assertEquals(1, sales.at("/fields/pain_points/items/api").asInt());
    assertEquals(2, sales.at("/fields/customer_intent/distribution/high").asInt());
    assertEquals(16, sales.at("/latency_ms/routing/max").asInt());

    String csv = AnalyticsReport.toCsv(report);
    assertTrue(csv.contains(support + ",fields.issue_resolved.rate,0.75\n"), csv);
    assertTrue(csv.contains(this.sales + ",fields.sales_stage.funnel.closing.sessions,1\n"), csv);
    String html = AnalyticsReport.toHtml(report);
    assertTrue(html.contains("<svg") && html.contains("issue resolution rate") && html.contains("75.0%"));
  }

  @Test
  void aRangeWithoutSessionsReportsNone() {
    try (SessionLog log = new SessionLog(bootstrap)) {
      ObjectNode report = Analytics.run(log, new Analytics.Options(Instant.ofEpochMilli(base - 3_600_000),
          Instant.ofEpochMilli(base - 3_000_000), Set.of(support), Duration.ofMinutes(5)), Progress.NONE);
      assertEquals(0, report.get("sessions").asInt());
      assertTrue(AnalyticsReport.toHtml(report).contains("No sessions in this range."));
    }
    assertThrows(IllegalArgumentException.class, () -> new Analytics.Options(Instant.ofEpochMilli(base),
        Instant.ofEpochMilli(base), Set.of(), null));
  }

  @Test
  void recentSessionsOfAnAgentAreFoundNewestFirst() {
    try (SessionLog log = new SessionLog(bootstrap)) {
      assertEquals(List.of(id("s7"), id("s6")), log.recentSessions(sales, Instant.ofEpochMilli(base - 1000),
          Instant.ofEpochMilli(base + 200_000), 2));
    }
  }

  @Test
  void theReplayPageAndTheAnalyticsReportRenderInChromium() throws Exception {
    Path dir = Path.of("target", "artifacts");
    Files.createDirectories(dir);
    Path timelinePage = dir.resolve("session-replay.html");
    Path reportPage = dir.resolve("analytics-report.html");
    try (SessionLog log = new SessionLog(bootstrap)) {
      Files.writeString(timelinePage, SessionTimeline.of(id("s4"), log.session(id("s4"))).toHtml());
      Files.writeString(reportPage, AnalyticsReport.toHtml(Analytics.run(log, new Analytics.Options(
          Instant.ofEpochMilli(base - 1000), Instant.ofEpochMilli(base + 200_000), Set.of(support, sales),
          Duration.ofMinutes(5)), Progress.NONE)));
    }
    for (Path page : List.of(timelinePage, reportPage)) {
      String dom = HeadlessChromium.dumpDom(page.toUri().toString(), 1000, dir.resolve(page.getFileName() + ".log"));
      assertTrue(dom.contains("<svg"), "the charts are in the rendered page");
      Path png = HeadlessChromium.screenshot(page.toUri().toString(),
          dir.resolve(page.getFileName().toString().replace(".html", ".png")), 1200, 1400);
      BufferedImage image = ImageIO.read(png.toFile());
      assertEquals(1200, image.getWidth());
      assertTrue(colours(image) > 8, "the screenshot shows text and coloured bars, not a blank page: " + png);
    }
  }

  /** Distinct colours in a coarse grid of the image. */
  private static int colours(BufferedImage image) {
    Set<Integer> seen = new java.util.HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 4) {
      for (int x = 0; x < image.getWidth(); x += 4) {
        seen.add(image.getRGB(x, y) & 0xF0F0F0);
      }
    }
    return seen.size();
  }

  private static JsonNode agent(ObjectNode report, String id) {
    for (JsonNode agent : report.get("agents")) {
      if (agent.get("agent_id").asText().equals(id)) {
        return agent;
      }
    }
    throw new AssertionError("no agent " + id + " in " + report);
  }
}
