package dev.parley.insights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.events.PlaybackKind;
import dev.parley.events.TurnOutcome;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.llm.OfflineResponder;
import dev.parley.llm.StandInLlmServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What-if replay of recorded sessions through another config version, on the real broker, with the
 * processor's own provider code talking to a local OpenAI-compatible stand-in (its answers are
 * predictable: "You said X. I remember N earlier turns." and the first valid value of every field).
 */
@ExtendWith(KafkaBrokerExtension.class)
class WhatIfIT {

  @Test
  void replaysRecordedTurnsThroughANewVersionAndDiffsRepliesAndFields(TestKafka kafka) throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String agent = "wi-support-" + run;
    String s1 = "wi1-" + run;
    String s2 = "wi2-" + run;
    long t = Instant.now().minusSeconds(120).toEpochMilli();
    try (SessionWriter w = new SessionWriter(kafka, List.of(agent))) {
      record(w, agent, s1, t, List.of(
          new String[] {"My login does not work", "You said My login does not work. I remember 0 earlier turns.",
              "{\"issue_category\":\"technical\",\"sentiment\":\"negative\",\"priority\":1,\"issue_resolved\":false,"
                  + "\"escalation_needed\":false}"},
          new String[] {"Still broken", "Let me escalate that.",
              "{\"issue_category\":\"technical\",\"sentiment\":\"negative\",\"priority\":4,\"issue_resolved\":false,"
                  + "\"escalation_needed\":true}"}));
      record(w, agent, s2, t + 10_000, List.<String[]>of(
          new String[] {"Billing question", "Sure, what is it?",
              "{\"issue_category\":\"billing\",\"sentiment\":\"positive\",\"priority\":1,\"issue_resolved\":false,"
                  + "\"escalation_needed\":false}"}));
      w.started("wi-empty-" + run, "room-empty-" + run, t);
    }
    Path logs = Path.of("target", "it-logs", "whatif-" + run);
    int port = FreePorts.pick();
    try (JavaProcess llm = JavaProcess.start("stand-in-llm", StandInLlmServer.class.getName(), Map.of(),
        logs.resolve("llm.log"), String.valueOf(port), "0").awaitLog("STANDIN_READY", Duration.ofSeconds(30));
        SessionLog log = new SessionLog(kafka.bootstrapServers())) {
      // version 2 of the agent: a new schema field, answered by the stand-in model
      ObjectNode json = AgentConfigJson.tree(SessionWriter.seed("support-agent-v1", agent));
      json.put("version", 2);
      json.with("llm_config").put("provider", "openai-compatible").put("base_url", "http://127.0.0.1:" + port + "/v1")
          .put("model", "stand-in");
      json.with("schema_config").withArray("fields").addObject().put("name", "callback_requested")
          .put("type", "boolean").put("description", "the caller asked to be called back");
      AgentConfig candidate = AgentConfigJson.fromTree(json);
      WhatIf whatIf = WhatIf.with(OfflineResponder.from(Map.of("OPENAI_API_KEY", "stand-in")));
      List<String> progress = new ArrayList<>();

      WhatIf.Result result = whatIf.replay(SessionTimeline.of(s1, log.session(s1)), candidate, progress::add);

      assertEquals(2, result.turns().size());
      assertEquals(2, progress.size(), "one progress line per replayed turn");
      assertEquals(1, result.recordedVersion());
      assertEquals(2, result.candidateVersion());
      WhatIf.TurnDiff first = result.turns().get(0);
      assertFalse(first.replyChanged(), first.candidateReply() + " " + first.candidateFallbackReason());
      assertEquals("OK", first.candidateOutcome());
      assertEquals(List.of("sentiment", "callback_requested"), names(first.changedFields()));
      WhatIf.FieldDiff sentiment = first.changedFields().get(0);
      assertEquals("negative", sentiment.recorded().asText());
      assertEquals("positive", sentiment.candidate().asText());
      assertEquals(null, first.changedFields().get(1).recorded(), "a field the recorded schema did not have");
      WhatIf.TurnDiff second = result.turns().get(1);
      assertTrue(second.replyChanged());
      assertEquals("You said Still broken. I remember 1 earlier turns.", second.candidateReply(),
          "the candidate hears its own earlier answer as history");
      assertEquals(List.of("sentiment", "priority", "escalation_needed", "callback_requested"),
          names(second.changedFields()));
      String text = WhatIf.toText(result);
      assertTrue(text.contains("  - recorded:  Let me escalate that.\n"), text);
      assertTrue(text.contains("  ~ escalation_needed: true -> false\n"), text);
      assertTrue(text.contains("1 of 2 replies changed; 2 turns with field changes"), text);
      assertEquals(1, WhatIf.toJson(result).get("replies_changed").asInt());

      WhatIf.Result other = whatIf.replay(SessionTimeline.of(s2, log.session(s2)), candidate, line -> { });
      ObjectNode summary = WhatIf.summary(List.of(result, other));
      assertEquals(3, summary.get("turns").asInt());
      assertEquals(2, summary.get("replies_changed").asInt()); // "Still broken" and "Billing question"
      assertEquals(2, summary.at("/fields/sentiment/changed").asInt());
      assertEquals(1, summary.at("/fields/issue_category/changed").asInt()); // billing -> technical
      assertEquals(3, summary.at("/fields/callback_requested/changed").asInt());
      assertEquals(0.3333, summary.at("/fields/escalation_needed/change_rate").asDouble());
      assertTrue(WhatIf.summaryText(summary).contains("callback_requested"));

      IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> whatIf.replay(
          SessionTimeline.of("wi-empty-" + run, log.session("wi-empty-" + run)), candidate, line -> { }));
      assertTrue(empty.getMessage().contains("has no user turns to replay"), empty.getMessage());
    }
  }

  private static void record(SessionWriter w, String agent, String session, long t, List<String[]> turns) {
    w.started(session, "room-" + session, t);
    w.decided(session, agent, t + 5);
    w.answer(session, agent, session + "#greeting", "Hi there.", "{}", TurnOutcome.OK, t + 20);
    for (int i = 0; i < turns.size(); i++) {
      long stopped = t + 2000 + i * 3000L;
      var turn = w.userTurn(session, agent, i + 1, turns.get(i)[0], stopped, 3);
      w.answer(session, agent, turn.getTurnId(), turns.get(i)[1], turns.get(i)[2], TurnOutcome.OK, stopped + 900);
      w.playback(session, turn.getTurnId(), PlaybackKind.STARTED, stopped + 1100, null, null);
    }
  }

  private static List<String> names(List<WhatIf.FieldDiff> diffs) {
    return diffs.stream().map(WhatIf.FieldDiff::field).toList();
  }
}
