package dev.parley.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The local model's side of tools: how a tool is named to it ({@code order_status(order_id)}), and what the call it
 * writes ({@code {"name": "order_status", "arguments": {"order_id": "4417"}}}) becomes: a call whose arguments match
 * the tool's parameter types and were said by the caller, or the reason no call is made.
 */
final class ToolCalls {
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  private ToolCalls() {
  }

  /** What the model decided: a call, or none (with why, when the model named a tool that is not called). */
  record Parsed(LlmProvider.ToolRequest call, String declined) {}

  /** The tool's top-level parameter names the model can fill in (plain names only), in the schema's order. */
  static List<String> parameterNames(AgentConfig.ToolConfig tool) {
    List<String> names = new ArrayList<>();
    JsonNode properties = tool.parameters() == null ? null : tool.parameters().path("properties");
    if (properties != null && properties.isObject()) {
      for (Iterator<String> it = properties.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        if (name.matches("[A-Za-z0-9_]+")) {
          names.add(name);
        }
      }
    }
    return names;
  }

  /**
   * Whether the caller's words may hold a tool's value: a digit, a number in words, or a code in capitals ("AB").
   * The offline model's tool step runs only then (it costs about a second before the first word): its tools take
   * numbers and codes, such as order, booking or account numbers, not free text like names or dates in words.
   */
  static boolean mayHoldValues(String callerWords) {
    if (callerWords == null) {
      return false;
    }
    return callerWords.matches("(?s).*[0-9].*") || !SpokenNumbers.withDigits(callerWords).equals(callerWords)
        || callerWords.matches("(?s).*\\b[A-Z]{2,}\\b.*");
  }

  /** {@code name(param, other)}: how the tool is listed to the model. */
  static String signature(AgentConfig.ToolConfig tool) {
    return tool.name() + "(" + String.join(", ", parameterNames(tool)) + ")";
  }

  /**
   * Reads the tool step's answer, {"name": ..., "arguments": {...}} with text values. The tool is called only when
   * every required parameter has a value, each value kept is found in {@code callerWords} (letters and digits
   * compared, case and spacing ignored: "7 7 1 2" matches "7712"; numbers said in words count as their digits, as
   * speech-to-text writes them: "four thousand four hundred seventeen" and "forty four seventeen" match "4417") and
   * converts to its parameter's type; optional
   * values that are empty or not said are left out, and a call left with no value at all is not made (so a tool
   * without parameters is never called by the offline model). Otherwise {@code declined} says why not.
   */
  static Parsed parse(String text, List<AgentConfig.ToolConfig> tools, String callerWords) {
    JsonNode answer;
    try {
      answer = text.isBlank() ? null : JSON.readTree(text);
    } catch (java.io.IOException e) {
      answer = null;
    }
    if (answer == null || !answer.path("name").isTextual() || !answer.path("arguments").isObject()) {
      return new Parsed(null, "unreadable tool step answer: " + text);
    }
    String named = answer.path("name").asText();
    AgentConfig.ToolConfig tool = tools.stream().filter(t -> t.name().equals(named)).findFirst().orElse(null);
    if (tool == null) {
      return new Parsed(null, "no tool named " + named);
    }
    JsonNode schema = tool.parameters();
    Set<String> required = new HashSet<>();
    schema.path("required").forEach(r -> required.add(r.asText()));
    String said = normalized(callerWords == null ? "" : callerWords + " " + SpokenNumbers.withDigits(callerWords));
    ObjectNode arguments = JsonNodeFactory.instance.objectNode();
    for (Iterator<java.util.Map.Entry<String, JsonNode>> it = answer.get("arguments").fields(); it.hasNext(); ) {
      java.util.Map.Entry<String, JsonNode> argument = it.next();
      String name = argument.getKey();
      String value = argument.getValue().asText("").strip();
      String plain = normalized(value);
      if (plain.isEmpty() || !said.contains(plain)) {
        if (required.contains(name)) {
          return new Parsed(null, tool.name() + ": " + name + (plain.isEmpty() ? " is empty" : " \"" + value
              + "\" is not in the caller's last words"));
        }
        continue;
      }
      JsonNode typed = typed(value, schema.path("properties").path(name));
      if (typed == null) {
        return new Parsed(null, tool.name() + ": " + name + " \"" + value + "\" is not a "
            + schema.path("properties").path(name).path("type").asText());
      }
      arguments.set(name, typed);
    }
    for (String name : required) {
      if (!arguments.has(name)) {
        return new Parsed(null, tool.name() + ": the caller has not said " + name);
      }
    }
    if (arguments.isEmpty()) { // nothing the caller said points at this tool: the step names one on every turn
      return new Parsed(null, tool.name() + ": the caller said none of its values");
    }
    return new Parsed(new LlmProvider.ToolRequest(tool.name(), arguments), null);
  }

  /** The value as its parameter's JSON type (text when the schema says nothing else), or null if it is not one. */
  private static JsonNode typed(String value, JsonNode property) {
    JsonNodeFactory json = JsonNodeFactory.instance;
    String digits = value.replaceAll("[\\s,]", "");
    try {
      return switch (property.path("type").asText("string")) {
        case "integer" -> json.numberNode(Long.parseLong(digits));
        case "number" -> json.numberNode(new java.math.BigDecimal(digits));
        case "boolean" -> switch (value.toLowerCase(Locale.ROOT)) {
          case "true", "yes" -> json.booleanNode(true);
          case "false", "no" -> json.booleanNode(false);
          default -> null;
        };
        default -> json.textNode(value);
      };
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String normalized(String text) {
    return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]", "");
  }
}
