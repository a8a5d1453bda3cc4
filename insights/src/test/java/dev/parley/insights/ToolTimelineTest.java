package dev.parley.insights;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentTurn;
import dev.parley.events.ToolCall;
import dev.parley.events.ToolOutcome;
import dev.parley.events.ToolResult;
import dev.parley.events.TurnOutcome;
import dev.parley.events.UserTurn;
import dev.parley.llm.LlmProvider;
import dev.parley.llm.OfflineResponder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A turn's tool calls in `parley replay`, and `parley whatif` answering them from the recorded results. */
class ToolTimelineTest {
  private static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");
  private static final AgentConfig SUPPORT = SeedAgents.all().get(0);

  private static SessionTimeline session() {
    return SessionTimeline.of("s-1", List.of(
        new Recorded("parley.user-turns.v1", 0, 1, T0.toEpochMilli(), "s-1", turn("s-1#0", 0, "where is order 4417?"),
            false),
        new Recorded("parley.tool-calls.v1", 0, 1, T0.toEpochMilli() + 900, "s-1", call("s-1#0", "s-1#0#1",
            "{\"order_id\":\"4417\"}"), false),
        new Recorded("parley.tool-results.v1", 0, 1, T0.toEpochMilli() + 1100, "s-1", result("s-1#0", "s-1#0#1",
            ToolOutcome.OK, "{\"status\":\"shipped\",\"arrives\":\"Thursday\"}"), false),
        new Recorded("parley.agent-replies.v1", 0, 1, T0.toEpochMilli() + 3000, "s-1", answer("s-1#0",
            "Let me check. Your order ships Thursday."), false),
        new Recorded("parley.user-turns.v1", 0, 2, T0.toEpochMilli() + 9000, "s-1", turn("s-1#1", 1,
            "and order 9001?"), false),
        new Recorded("parley.tool-calls.v1", 0, 2, T0.toEpochMilli() + 9900, "s-1", call("s-1#1", "s-1#1#1",
            "{\"order_id\":\"9001\"}"), false),
        new Recorded("parley.tool-results.v1", 0, 2, T0.toEpochMilli() + 15900, "s-1", result("s-1#1", "s-1#1#1",
            ToolOutcome.TIMEOUT, "no answer within 6000 ms"), false)));
  }

  @Test
  void theTimelineShowsEachCallWithItsArgumentsResultAndLatency() {
    SessionTimeline timeline = session();
    assertThat(timeline.userTurns().get(0).tools()).singleElement().satisfies(use -> {
      assertThat(use.callId()).isEqualTo("s-1#0#1");
      assertThat(use.result().getOutcome()).isEqualTo(ToolOutcome.OK);
    });
    assertThat(timeline.toText())
        .contains("  tool:   order_status {\"order_id\":\"4417\"} -> OK in 200 ms (1 attempt): {\"status\":\"shipped\","
            + "\"arrives\":\"Thursday\"}\n")
        .contains("  tool:   order_status {\"order_id\":\"9001\"} -> TIMEOUT in 6000 ms (2 attempts): no answer within"
            + " 6000 ms\n")
        .contains("tool call order_status {\"order_id\":\"4417\"} (call s-1#0#1)");
    JsonNode tool = timeline.toJson().get("turns").get(0).get("tools").get(0);
    assertThat(tool.get("arguments").get("order_id").asText()).isEqualTo("4417");
    assertThat(tool.get("outcome").asText()).isEqualTo("OK");
    assertThat(tool.get("latency_ms").asLong()).isEqualTo(200);
  }

  @Test
  void whatIfAnswersACallWithTheRecordedResultAndSaysWhichCallsDiffer() {
    List<String> told = new ArrayList<>();
    WhatIf whatIf = new WhatIf((config, history, user, recorded) -> {
      // the candidate asks for order 4417 with its arguments in another key order, and for 77 instead of 9001
      String id = user.contains("4417") ? "4417" : "77";
      LlmProvider.ToolRequest call = new LlmProvider.ToolRequest("order_status",
          AgentConfigJson.MAPPER.createObjectNode().put("order_id", id));
      Optional<String> result = recorded.apply(call);
      told.add(result.orElse(OfflineResponder.NOT_RECORDED));
      return new OfflineResponder.Reply("Checked " + id + ".", AgentConfigJson.MAPPER.createObjectNode(), "OK", null,
          5, List.of(new OfflineResponder.ToolUse("order_status", call.arguments().toString(),
              result.orElse(OfflineResponder.NOT_RECORDED), result.isPresent())));
    });

    WhatIf.Result result = whatIf.replay(session(), SUPPORT, line -> { });

    assertThat(told).containsExactly("{\"status\":\"shipped\",\"arrives\":\"Thursday\"}",
        OfflineResponder.NOT_RECORDED);
    assertThat(result.turns().get(0).toolCallsDiffering()).isEmpty();
    assertThat(result.turns().get(1).toolCallsDiffering()).containsExactly(
        "new call order_status {\"order_id\":\"77\"} (not made in the recorded session; told NOT_RECORDED)",
        "recorded call order_status {\"order_id\":\"9001\"} not made by the candidate");
    assertThat(WhatIf.toText(result)).contains("  tool: order_status {\"order_id\":\"4417\"} -> recorded result reused")
        .contains("  ! tool call differs: recorded call order_status {\"order_id\":\"9001\"} not made by the candidate");
    assertThat(WhatIf.toJson(result).get("turns").get(1).get("tool_calls_differing")).hasSize(2);
  }

  private static UserTurn turn(String id, int index, String words) {
    Instant at = T0.plusSeconds(index * 9L);
    return UserTurn.newBuilder().setSessionId("s-1").setTurnId(id).setTurnIndex(index).setTranscript(words)
        .setConfidence(0.9).setSpeechStartedAt(at).setSpeechStoppedAt(at.plusMillis(800))
        .setTranscribedAt(at.plusMillis(900)).setSttProvider("moonshine").setSttLatencyMs(100).setLanguage("en-US")
        .build();
  }

  private static ToolCall call(String turnId, String callId, String arguments) {
    return ToolCall.newBuilder().setSessionId("s-1").setTurnId(turnId).setCallId(callId).setAgentId("support-agent-v1")
        .setConfigVersion(1).setTool("order_status").setArguments(arguments).setRequestedAt(T0).build();
  }

  private static ToolResult result(String turnId, String callId, ToolOutcome outcome, String body) {
    return ToolResult.newBuilder().setSessionId("s-1").setTurnId(turnId).setCallId(callId).setTool("order_status")
        .setOutcome(outcome).setStatusCode(outcome == ToolOutcome.OK ? 200 : null).setResult(body)
        .setAttempts(outcome == ToolOutcome.OK ? 1 : 2).setLatencyMs(outcome == ToolOutcome.OK ? 200 : 6000)
        .setRunner("runner-1").setCompletedAt(T0).build();
  }

  private static AgentTurn answer(String turnId, String spoken) {
    return AgentTurn.newBuilder().setSessionId("s-1").setTurnId(turnId).setAgentId("support-agent-v1")
        .setConfigVersion(1).setSchemaId("support").setUserTranscript("").setSystemResponse(spoken)
        .setStructuredFields("{}").setProvider("local").setModel("m").setTotalMs(3000).setChunkCount(2)
        .setOutcome(TurnOutcome.OK).setCreatedAt(T0).build();
  }
}
