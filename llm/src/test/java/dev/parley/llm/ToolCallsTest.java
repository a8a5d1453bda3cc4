package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the local model's tool call becomes: a call only with values the caller said, of the parameters' types. */
class ToolCallsTest {
  private static final AgentConfig.ToolConfig ORDERS = tool("order_status", "order_id", "string", true);
  private static final AgentConfig.ToolConfig SLOTS = slots();

  @Test
  void aCallWithTheCallersOwnValueIsMade() {
    ToolCalls.Parsed parsed = ToolCalls.parse("{\"name\": \"order_status\", \"arguments\": {\"order_id\": \"4417\"}}",
        List.of(ORDERS, SLOTS), "Hi, where is my order 4417? It hasn't arrived.");
    assertThat(parsed.call().tool()).isEqualTo("order_status");
    assertThat(parsed.call().arguments().toString()).isEqualTo("{\"order_id\":\"4417\"}");
    assertThat(parsed.call().json()).isEqualTo("{\"name\":\"order_status\",\"arguments\":{\"order_id\":\"4417\"}}");
  }

  @Test
  void valuesAreComparedByLettersAndDigitsOnly() {
    assertThat(ToolCalls.parse("{\"name\": \"order_status\", \"arguments\": {\"order_id\": \"7712\"}}", List.of(ORDERS),
        "when will order 7 7 1 2 arrive?").call()).isNotNull();
    assertThat(ToolCalls.parse("{\"name\": \"order_status\", \"arguments\": {\"order_id\": \"a-5521\"}}",
        List.of(ORDERS), "It's order A 5521.").call()).isNotNull();
  }

  @Test
  void aValueTheCallerDidNotSayIsNotCalledAndSaysWhy() {
    ToolCalls.Parsed parsed = ToolCalls.parse("{\"name\": \"order_status\", \"arguments\": {\"order_id\": \"12345\"}}",
        List.of(ORDERS), "I was charged twice this month.");
    assertThat(parsed.call()).isNull();
    assertThat(parsed.declined()).isEqualTo("order_status: order_id \"12345\" is not in the caller's last words");
    assertThat(ToolCalls.parse("{\"name\": \"order_status\", \"arguments\": {\"order_id\": \"\"}}", List.of(ORDERS),
        "where is my order?").declined()).isEqualTo("order_status: order_id is empty");
    assertThat(ToolCalls.parse("{\"name\": \"order_status\", \"arguments\": {}}", List.of(ORDERS),
        "where is my order?").declined()).isEqualTo("order_status: the caller has not said order_id");
  }

  @Test
  void valuesBecomeTheirParametersTypesAndOptionalOnesNotSaidAreLeftOut() {
    ToolCalls.Parsed parsed = ToolCalls.parse("{\"name\": \"book_slot\", \"arguments\": {\"people\": \"4\","
        + " \"note\": \"window seat\", \"vip\": \"yes\"}}", List.of(ORDERS, SLOTS), "A table for 4 please, yes VIP.");
    assertThat(parsed.call().arguments().toString()).isEqualTo("{\"people\":4,\"vip\":true}");
    assertThat(ToolCalls.parse("{\"name\": \"book_slot\", \"arguments\": {\"people\": \"four\"}}", List.of(SLOTS),
        "for four people").declined()).isEqualTo("book_slot: people \"four\" is not a integer");
  }

  @Test
  void anUnknownToolOrAnUnreadableAnswerIsNoCall() {
    assertThat(ToolCalls.parse("{\"name\": \"refund\", \"arguments\": {}}", List.of(ORDERS), "refund me")
        .declined()).isEqualTo("no tool named refund");
    assertThat(ToolCalls.parse("{\"name\": \"order_st", List.of(ORDERS), "x").declined())
        .startsWith("unreadable tool step answer");
    assertThat(ToolCalls.parse("", List.of(ORDERS), "x").call()).isNull();
  }

  @Test
  void theToolStepRunsOnlyForWordsThatMayHoldAValue() {
    assertThat(ToolCalls.mayHoldValues("where is my order 4417?")).isTrue();
    assertThat(ToolCalls.mayHoldValues("it's four thousand four hundred seventeen")).isTrue();
    assertThat(ToolCalls.mayHoldValues("the code is XKQ")).isTrue();
    assertThat(ToolCalls.mayHoldValues("My account login isn't working.")).isFalse();
    assertThat(ToolCalls.mayHoldValues("I already tried to reset my password.")).isFalse();
    assertThat(ToolCalls.mayHoldValues(null)).isFalse();
  }

  @Test
  void theGrammarAllowsOneCallOfEachToolWithItsParametersInOrder() {
    assertThat(LocalLlamaProvider.toolGrammar(List.of(ORDERS, SLOTS))).isEqualTo("""
        root ::= tool0 | tool1
        tool0 ::= "{\\"name\\": \\"order_status\\", \\"arguments\\": {" "\\"order_id\\": \\"" value "\\"" "}}"
        tool1 ::= "{\\"name\\": \\"book_slot\\", \\"arguments\\": {" "\\"people\\": \\"" value "\\"" ", \\"note\\": \\"" \
        value "\\"" ", \\"vip\\": \\"" value "\\"" "}}"
        value ::= [^"\\\\\\n]{0,60}
        """);
    assertThat(ToolCalls.signature(SLOTS)).isEqualTo("book_slot(people, note, vip)");
  }

  private static AgentConfig.ToolConfig tool(String name, String parameter, String type, boolean required) {
    ObjectNode parameters = AgentConfigJson.MAPPER.createObjectNode().put("type", "object");
    parameters.putObject("properties").putObject(parameter).put("type", type);
    if (required) {
      parameters.putArray("required").add(parameter);
    }
    return new AgentConfig.ToolConfig(name, "does " + name, parameters, null, null);
  }

  private static AgentConfig.ToolConfig slots() {
    ObjectNode parameters = AgentConfigJson.MAPPER.createObjectNode().put("type", "object");
    ObjectNode properties = parameters.putObject("properties");
    properties.putObject("people").put("type", "integer");
    properties.putObject("note").put("type", "string");
    properties.putObject("vip").put("type", "boolean");
    parameters.putArray("required").add("people");
    return new AgentConfig.ToolConfig("book_slot", "books a table", parameters, null, null);
  }
}
