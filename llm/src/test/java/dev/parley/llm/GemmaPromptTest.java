package dev.parley.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import de.kherud.llama.Pair;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Gemma has no system role: the instructions must open the first user turn, even after a greeting. */
class GemmaPromptTest {

  @Test
  void instructionsComeFirstWhenTheHistoryStartsWithTheGreeting() {
    String prompt = LocalLlamaProvider.gemmaPrompt("Be a support agent.", List.of(new Pair<>("assistant", "Hi there."),
        new Pair<>("user", "My login fails.")));
    assertEquals("<start_of_turn>user\nBe a support agent.<end_of_turn>\n<start_of_turn>model\nHi there.<end_of_turn>\n"
        + "<start_of_turn>user\nMy login fails.<end_of_turn>\n<start_of_turn>model\n", prompt);
  }

  @Test
  void instructionsShareTheFirstUserTurn() {
    String prompt = LocalLlamaProvider.gemmaPrompt("Be brief.", List.of(new Pair<>("user", "Hello.")));
    assertEquals("<start_of_turn>user\nBe brief.\n\nHello.<end_of_turn>\n<start_of_turn>model\n", prompt);
  }

  @Test
  void spokenRepliesAreHeldToWords() {
    var schema = dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode();
    schema.putObject("properties").putObject("system_response").put("type", "string");
    assertEquals("^[A-Z][A-Za-z ,.'!?]{3,160}$",
        LocalLlamaProvider.bounded(schema).at("/properties/system_response/pattern").asText());
  }
}
