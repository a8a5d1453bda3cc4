package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Numbers the way speech-to-text writes what callers say, as digits. */
class SpokenNumbersTest {

  @Test
  void numbersInWordsBecomeTheirDigits() {
    assertThat(SpokenNumbers.withDigits("Also, where is my order? Four thousand, four hundred seventeen."))
        .isEqualTo("Also, where is my order? 4417.");
    assertThat(SpokenNumbers.withDigits("it's forty four seventeen")).isEqualTo("it's 4417");
    assertThat(SpokenNumbers.withDigits("order four four one seven please")).isEqualTo("order 4417 please");
    assertThat(SpokenNumbers.withDigits("nine oh two")).isEqualTo("902");
    assertThat(SpokenNumbers.withDigits("five hundred and twenty one")).isEqualTo("521");
    assertThat(SpokenNumbers.withDigits("twenty twenty six")).as("a year as people say it").isEqualTo("2026");
    assertThat(SpokenNumbers.withDigits("two charges of forty nine dollars on the third"))
        .isEqualTo("2 charges of 49 dollars on the third");
    assertThat(SpokenNumbers.withDigits("my login isn't working")).isEqualTo("my login isn't working");
    assertThat(SpokenNumbers.withDigits("and then nothing")).isEqualTo("and then nothing");
  }

  @Test
  void theCallersWordsAreWrittenWithDigitsForTheModel() {
    assertThat(SpokenNumbers.withDigits("We're a team of twenty and our projects are all over email."))
        .isEqualTo("We're a team of 20 and our projects are all over email.");
    assertThat(SpokenNumbers.withDigits("Oh no, I was charged twice.")).isEqualTo("Oh no, I was charged twice.");
    assertThat(SpokenNumbers.withDigits("order 4417 arrived")).isEqualTo("order 4417 arrived");
    assertThat(SpokenNumbers.withDigits("one or two")).isEqualTo("1 or 2");
    assertThat(SpokenNumbers.withDigits("My account login isn't working.")).isEqualTo("My account login isn't working.");
  }

  @Test
  void aValueSaidInWordsGroundsTheToolCall() {
    var orders = new dev.parley.agentconfig.AgentConfig.ToolConfig("order_status", "looks up an order",
        dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode().put("type", "object")
            .set("properties", dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode()
                .set("order_id", dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode().put("type",
                    "string"))), null, null);
    assertThat(ToolCalls.parse("{\"name\": \"order_status\", \"arguments\": {\"order_id\": \"4417\"}}",
        java.util.List.of(orders), "Also, where is my order? Four thousand, four hundred seventeen.").call())
        .isNotNull();
    assertThat(ToolCalls.parse("{\"name\": \"order_status\", \"arguments\": {\"order_id\": \"4418\"}}",
        java.util.List.of(orders), "Also, where is my order? Four thousand, four hundred seventeen.").call())
        .isNull();
  }
}
