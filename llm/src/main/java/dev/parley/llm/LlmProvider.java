package dev.parley.llm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.function.Consumer;

/** A chat model that answers with JSON matching a schema, streaming its raw output. */
public interface LlmProvider {

  /**
   * One message of the conversation sent to the model: {@code system}, {@code user}, {@code assistant}, or, within a
   * turn that used a tool, {@code tool_call} (what the agent asked for, {@link ToolRequest#json()}) followed by
   * {@code tool} (what the tool answered).
   */
  record Message(String role, String content) {}

  /** A tool the model asked for: the tool's name and its arguments as a JSON object. */
  record ToolRequest(String tool, com.fasterxml.jackson.databind.node.ObjectNode arguments) {
    /** {"name": ..., "arguments": {...}}: how the call is written into the conversation. */
    public String json() {
      ObjectNode call = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
      call.put("name", tool);
      call.set("arguments", arguments);
      return call.toString();
    }
  }

  /**
   * What to ask. {@code provider} and {@code baseUrl} come from the agent's llm_config;
   * {@code schema} is the strict JSON Schema of the whole reply. {@code background}: nobody is waiting to
   * hear this answer (a session summary), so a provider that shares its compute may let callers go first.
   */
  record Request(String provider, String baseUrl, String model, List<Message> messages, ObjectNode schema,
      String schemaName, double temperature, int maxTokens, boolean background,
      List<dev.parley.agentconfig.AgentConfig.ToolConfig> tools) {
    /** A caller is waiting for this answer (background false); no tools offered. */
    public Request(String provider, String baseUrl, String model, List<Message> messages, ObjectNode schema,
        String schemaName, double temperature, int maxTokens) {
      this(provider, baseUrl, model, messages, schema, schemaName, temperature, maxTokens, false, List.of());
    }

    public Request {
      tools = tools == null ? List.of() : List.copyOf(tools);
    }
  }

  /**
   * What came back: the whole raw text, token counts, and when the first token arrived. With {@code toolCall}, the
   * model asked for a tool instead of finishing its reply: {@code text} then holds only what it said before asking
   * (its {@code system_response}, possibly empty) and no fields; the turn goes on once the tool has answered.
   */
  record Completion(String text, int promptTokens, int completionTokens, long firstTokenNanos, String model,
      ToolRequest toolCall) {
    public Completion(String text, int promptTokens, int completionTokens, long firstTokenNanos, String model) {
      this(text, promptTokens, completionTokens, firstTokenNanos, model, null);
    }
  }

  /**
   * Streams a completion; {@code onDelta} receives each piece of raw output text as it arrives.
   * Throws {@link LlmException} when the provider fails (after its own retries).
   */
  Completion complete(Request request, Consumer<String> onDelta);

  String name();

  /**
   * Prepares for the next turn of a conversation: a provider with a prompt cache reads the messages now so
   * the turn itself starts sooner. When the last message is the caller's (a turn not confirmed yet: read
   * ahead), it is read as the turn to be answered, and a request that is not {@code background} goes ahead of
   * background work. Default: nothing.
   */
  default void warm(Request request) {
  }

  /** The provider failed: unreachable, timed out, refused, or answered something unusable. */
  final class LlmException extends RuntimeException {
    LlmException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
