package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.agentconfig.StructuredOutputSchema;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The local model's conversation prompt: what it is told, in which turn format, and what it must fill in. */
class LocalPromptTest {
  private static final ObjectNode SUPPORT = StructuredOutputSchema.build(SeedAgents.all().get(0).schemaConfig());

  private static ObjectNode fields() {
    ObjectNode schema = SUPPORT.deepCopy();
    ((ObjectNode) schema.get("properties")).remove("system_response");
    return schema;
  }

  @Test
  void theConversationIsChatMlWithTheInstructionsFieldsAndSpeakingRulesInTheSystemTurn() {
    List<LlmProvider.Message> messages = List.of(
        new LlmProvider.Message("system", "Be a support agent." + TurnResponder.JSON_NOTE),
        new LlmProvider.Message("assistant", "Hi, support here."),
        new LlmProvider.Message("user", "I was charged twice."));

    String prompt = LocalLlamaProvider.conversation(messages, fields(), true);

    assertThat(prompt).startsWith("<|im_start|>system\nBe a support agent.")
        .doesNotContain("JSON object").as("JSON is the fields step's business, not the spoken reply's")
        .contains("- issue_category: one of technical, billing, account, feature_request, other. What the caller's")
        .contains("- issue_resolved: true or false.").contains("- priority: a whole number from 1 to 5.")
        .contains("<|im_start|>assistant\nHi, support here.<|im_end|>\n<|im_start|>user\nI was charged twice.<|im_end|>\n")
        .endsWith("<|im_start|>assistant\n");
    assertThat(prompt.indexOf("Talk to the caller directly")).as("the speaking rules come last, nearest the reply")
        .isGreaterThan(prompt.indexOf("- priority"));
  }

  @Test
  void aTurnThatUsedAToolShowsTheCallAndItsResponseInTheModelsOwnFormat() {
    LlmProvider.ToolRequest call = new LlmProvider.ToolRequest("order_status",
        dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode().put("order_id", "4417"));
    List<LlmProvider.Message> messages = List.of(new LlmProvider.Message("system", "Be brief."),
        new LlmProvider.Message("user", "Where is order 4417?"),
        new LlmProvider.Message("assistant", "Let me check."),
        new LlmProvider.Message("tool_call", call.json()),
        new LlmProvider.Message("tool", "{\"status\":\"shipped\"}"));

    String prompt = LocalLlamaProvider.conversation(messages, fields(), true);

    assertThat(prompt).contains("<|im_start|>user\nWhere is order 4417?<|im_end|>\n<|im_start|>assistant\nLet me check.\n<tool_call>\n"
            + "{\"name\":\"order_status\",\"arguments\":{\"order_id\":\"4417\"}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n{\"status\":\"shipped\"}\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n");
    assertThat(prompt).as("the warm-up prompt is the turn's cached prefix")
        .startsWith(LocalLlamaProvider.conversation(messages.subList(0, 1), fields(), false));
  }

  @Test
  void theWarmUpPromptIsTheNextTurnsPrefix() {
    List<LlmProvider.Message> before = List.of(new LlmProvider.Message("system", "Be brief."),
        new LlmProvider.Message("assistant", "Hello."));
    List<LlmProvider.Message> after = List.of(new LlmProvider.Message("system", "Be brief."),
        new LlmProvider.Message("assistant", "Hello."), new LlmProvider.Message("user", "Hi, my login fails."));

    String warm = LocalLlamaProvider.conversation(before, fields(), false);
    String turn = LocalLlamaProvider.conversation(after, fields(), true);

    assertThat(turn).as("the server's prompt cache reuses everything warmed").startsWith(warm);
  }

  @Test
  void theFieldsRequestQuotesTheCallersLastWords() {
    assertThat(LocalLlamaProvider.fieldsCue("  I was charged twice this month. "))
        .contains("The caller's last words were: \"I was charged twice this month.\".")
        .contains("never invent anything the caller did not say");
    assertThat(LocalLlamaProvider.fieldsCue(null)).doesNotContain("last words").startsWith("Record the call as JSON");
    assertThat(LocalLlamaProvider.fieldsCue(" ")).doesNotContain("last words");
  }

  @Test
  void optionalAndListFieldsAreDescribedAsSuch() {
    ObjectNode sales = StructuredOutputSchema.build(SeedAgents.all().get(1).schemaConfig());
    assertThat(LocalLlamaProvider.describe(sales.at("/properties/pain_points"))).startsWith("a list of short texts");
    assertThat(LocalLlamaProvider.describe(sales.at("/properties/next_step"))).startsWith("a short text, or null");
  }

  @Test
  void freeTextAndListsAreBoundedSoTheFieldsCannotRunPastTheTokenLimit() {
    ObjectNode sales = StructuredOutputSchema.build(SeedAgents.all().get(1).schemaConfig());
    ObjectNode bounded = LocalLlamaProvider.bounded(sales);
    assertThat(bounded.at("/properties/pain_points/maxItems").asInt()).isEqualTo(3);
    assertThat(bounded.at("/properties/pain_points/items/maxLength").asInt()).isEqualTo(60);
    assertThat(bounded.at("/properties/sales_stage").has("maxLength")).as("enums are bounded already").isFalse();
  }
}
