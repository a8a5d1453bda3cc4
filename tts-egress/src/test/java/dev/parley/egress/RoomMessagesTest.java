package dev.parley.egress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.events.AgentTurn;
import dev.parley.events.Escalation;
import dev.parley.events.SessionSummary;
import dev.parley.events.TurnOutcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The data messages a session sends its room, without a room. */
class RoomMessagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final List<Map.Entry<String, JsonNode>> sent = new ArrayList<>();
  private final RoomMessages messages = new RoomMessages("s1", (topic, bytes) -> {
    assertThat(bytes.length).isLessThanOrEqualTo(RoomMessages.MAX_MESSAGE_BYTES);
    try {
      sent.add(Map.entry(topic, JSON.readTree(bytes)));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  });

  private static AgentTurn turn(int n, String said, String answer) {
    return AgentTurn.newBuilder().setSessionId("s1").setTurnId("s1#" + n).setAgentId("support-agent-v1")
        .setConfigVersion(1).setSchemaId("support_turn_v1").setSystemResponse(answer).setStructuredFields("{}")
        .setProvider("local").setModel("m").setPromptTokens(1).setCompletionTokens(1).setTotalMs(1).setChunkCount(1)
        .setOutcome(TurnOutcome.OK).setCreatedAt(Instant.now()).setUserTranscript(said).build();
  }

  private static ObjectNode fields(String json) throws Exception {
    return (ObjectNode) JSON.readTree(json);
  }

  @Test
  void eachTurnCarriesItsFieldsAndTheTranscriptSoFar() throws Exception {
    messages.turn(turn(1, "my login fails", "What happens when you try?"), fields("{\"priority\":3}"));
    messages.turn(turn(2, "it says wrong password", "Let's reset it."), fields("{\"priority\":2}"));

    assertThat(sent).extracting(Map.Entry::getKey).containsOnly(RoomMessages.SUMMARY_TOPIC);
    JsonNode last = sent.get(1).getValue();
    assertThat(last.path("type").asText()).isEqualTo("agent_turn");
    assertThat(last.path("turn_id").asText()).isEqualTo("s1#2");
    assertThat(last.path("data").path("priority").asInt()).isEqualTo(2);
    assertThat(last.path("transcript")).extracting(JsonNode::asText).containsExactly("user: my login fails",
        "agent: What happens when you try?", "user: it says wrong password", "agent: Let's reset it.");
  }

  @Test
  void aLongCallKeepsTheNewestTranscriptLinesThatFitOnePacket() throws Exception {
    String words = "word ".repeat(400); // 2 kB a line
    for (int i = 1; i <= 10; i++) {
      messages.turn(turn(i, "line " + i + " " + words, "answer " + i), fields("{}"));
    }
    JsonNode last = sent.get(sent.size() - 1).getValue();
    List<String> lines = new ArrayList<>();
    last.path("transcript").forEach(l -> lines.add(l.asText()));
    assertThat(lines.size()).isBetween(2, 19);
    assertThat(lines.get(lines.size() - 1)).isEqualTo("agent: answer 10");
    assertThat(lines.get(0)).doesNotContain("line 1 ");
  }

  @Test
  void anEscalationAndTheSummaryGoToTheirTopics() throws Exception {
    messages.turn(turn(1, "I want a refund", "Let me get someone."), fields("{\"escalation_needed\":true}"));
    messages.escalation(Escalation.newBuilder().setSessionId("s1").setTurnId("s1#1").setAgentId("support-agent-v1")
        .setConfigVersion(1).setField("escalation_needed").setUserTranscript("I want a refund")
        .setSystemResponse("Let me get someone.").setStructuredFields("{\"escalation_needed\":true}")
        .setCreatedAt(Instant.now()).build());
    messages.summary(SessionSummary.newBuilder().setSessionId("s1").setAgentId("support-agent-v1")
        .setConfigVersion(1).setSummary("The caller wants a refund; a person takes over.").setFinalFields("{}")
        .setUserTurns(1).setEndReason("caller_left").setOutcome(TurnOutcome.OK).setCreatedAt(Instant.now()).build(),
        fields("{\"escalation_needed\":true}"));

    assertThat(sent.get(1).getKey()).isEqualTo(RoomMessages.ESCALATION_TOPIC);
    assertThat(sent.get(1).getValue().path("field").asText()).isEqualTo("escalation_needed");
    assertThat(sent.get(1).getValue().path("data").path("escalation_needed").asBoolean()).isTrue();
    JsonNode summary = sent.get(2).getValue();
    assertThat(sent.get(2).getKey()).isEqualTo(RoomMessages.SUMMARY_TOPIC);
    assertThat(summary.path("type").asText()).isEqualTo("summary");
    assertThat(summary.path("summary").asText()).startsWith("The caller wants a refund");
    assertThat(summary.path("transcript")).hasSize(2);
  }
}
