package dev.parley.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletionAssistantMessageParam;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Any OpenAI-compatible chat completions endpoint (OpenAI, Azure, Ollama, vLLM, llama.cpp server)
 * through the official OpenAI Java SDK, with {@code response_format: json_schema} (strict) and
 * streaming. The SDK retries connection failures and 429/5xx with back-off.
 */
public final class OpenAiProvider implements LlmProvider {
  private final OpenAIClient client;
  private final Duration timeout;

  OpenAiProvider(String baseUrl, String apiKey, Duration timeout, int maxRetries) {
    this.timeout = timeout;
    OpenAIOkHttpClient.Builder builder = OpenAIOkHttpClient.builder()
        .apiKey(apiKey == null || apiKey.isBlank() ? "not-needed" : apiKey)
        .timeout(timeout)
        .maxRetries(maxRetries);
    if (baseUrl != null && !baseUrl.isBlank()) {
      builder.baseUrl(baseUrl);
    }
    this.client = builder.build();
  }

  @Override
  public String name() {
    return "openai";
  }

  @Override
  public Completion complete(Request request, Consumer<String> onDelta) {
    ChatCompletionCreateParams.Builder params = ChatCompletionCreateParams.builder()
        .model(request.model())
        .temperature(request.temperature())
        .maxCompletionTokens((long) request.maxTokens())
        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
        .responseFormat(ResponseFormatJsonSchema.builder().jsonSchema(ResponseFormatJsonSchema.JsonSchema.builder()
            .name(request.schemaName()).strict(true).schema(schema(request.schema())).build()).build());
    if (TurnResponder.toolsOffered(request)) {
      for (dev.parley.agentconfig.AgentConfig.ToolConfig tool : request.tools()) {
        params.addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder().name(tool.name())
            .description(tool.description() == null ? "" : tool.description())
            .parameters(parameters(tool.parameters())).build()).build());
      }
      params.parallelToolCalls(false); // one tool per turn
    }
    addMessages(params, request.messages());
    long start = System.nanoTime();
    long firstToken = -1;
    StringBuilder text = new StringBuilder();
    int promptTokens = 0;
    int completionTokens = 0;
    String model = request.model();
    String toolName = null;
    StringBuilder toolArguments = new StringBuilder();
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params.build())) {
      Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
      while (chunks.hasNext()) {
        ChatCompletionChunk chunk = chunks.next();
        model = chunk.model();
        for (ChatCompletionChunk.Choice choice : chunk.choices()) {
          for (ChatCompletionChunk.Choice.Delta.ToolCall call : choice.delta().toolCalls().orElse(List.of())) {
            if (call.index() != 0) {
              continue; // one tool per turn: a second call in the same answer is not made
            }
            if (firstToken < 0) {
              firstToken = System.nanoTime() - start;
            }
            var function = call.function();
            if (function.isPresent()) {
              toolName = function.get().name().filter(n -> !n.isEmpty()).orElse(toolName);
              toolArguments.append(function.get().arguments().orElse(""));
            }
          }
          String delta = choice.delta().content().orElse("");
          if (!delta.isEmpty()) {
            if (firstToken < 0) {
              firstToken = System.nanoTime() - start;
            }
            text.append(delta);
            onDelta.accept(delta);
          }
        }
        if (chunk.usage().isPresent()) {
          promptTokens = (int) chunk.usage().get().promptTokens();
          completionTokens = (int) chunk.usage().get().completionTokens();
        }
      }
    } catch (RuntimeException e) {
      throw new LlmException("OpenAI-compatible provider failed: " + describe(e), e);
    }
    if (toolName != null) {
      return new Completion(text.length() == 0 ? "{\"system_response\":\"\"}" : text.toString(), promptTokens,
          completionTokens, firstToken, model, toolRequest(toolName, toolArguments.toString()));
    }
    return new Completion(text.toString(), promptTokens, completionTokens, firstToken, model);
  }

  /** The tool the model asked for; arguments that are not a JSON object are refused as the provider's failure. */
  private static ToolRequest toolRequest(String name, String arguments) {
    try {
      JsonNode parsed = JSON.readTree(arguments.isBlank() ? "{}" : arguments);
      if (parsed instanceof com.fasterxml.jackson.databind.node.ObjectNode object) {
        return new ToolRequest(name, object);
      }
    } catch (java.io.IOException e) {
      // below
    }
    throw new LlmException("the model asked for tool " + name + " with arguments that are not a JSON object: "
        + arguments.substring(0, Math.min(200, arguments.length())), null);
  }

  /**
   * The conversation as chat messages; a turn's tool use as the model's own: an assistant message with the call (ids
   * {@code call_1}, {@code call_2}... in the order of the turn's calls) and a tool message answering it.
   */
  private static void addMessages(ChatCompletionCreateParams.Builder params, List<Message> messages) {
    int calls = 0;
    String pendingSpoken = null;
    for (int i = 0; i < messages.size(); i++) {
      Message message = messages.get(i);
      boolean callFollows = i + 1 < messages.size() && messages.get(i + 1).role().equals("tool_call");
      switch (message.role()) {
        case "system" -> params.addSystemMessage(message.content());
        case "assistant" -> {
          if (callFollows) {
            pendingSpoken = message.content(); // said before asking: the same assistant message as the call
          } else {
            params.addAssistantMessage(message.content());
          }
        }
        case "tool_call" -> {
          calls++;
          JsonNode call;
          try {
            call = JSON.readTree(message.content());
          } catch (java.io.IOException e) {
            throw new LlmException("unreadable tool call in the conversation: " + message.content(), e);
          }
          ChatCompletionAssistantMessageParam.Builder assistant = ChatCompletionAssistantMessageParam.builder()
              .addToolCall(ChatCompletionMessageFunctionToolCall.builder().id("call_" + calls)
                  .function(ChatCompletionMessageFunctionToolCall.Function.builder()
                      .name(call.path("name").asText()).arguments(call.path("arguments").toString()).build())
                  .build());
          if (pendingSpoken != null && !pendingSpoken.isBlank()) {
            assistant.content(pendingSpoken);
          }
          pendingSpoken = null;
          params.addMessage(assistant.build());
        }
        case "tool" -> params.addMessage(ChatCompletionToolMessageParam.builder().toolCallId("call_" + calls)
            .content(message.content()).build());
        default -> params.addUserMessage(message.content());
      }
    }
  }

  private static FunctionParameters parameters(JsonNode schema) {
    FunctionParameters.Builder builder = FunctionParameters.builder();
    JsonNode object = schema == null || schema.isNull() ? JSON.createObjectNode().put("type", "object")
        .set("properties", JSON.createObjectNode()) : schema;
    object.fields().forEachRemaining(f -> builder.putAdditionalProperty(f.getKey(),
        JsonValue.fromJsonNode(f.getValue())));
    return builder.build();
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** What went wrong, from the innermost cause: the SDK wraps a timeout as a bare "Request failed". */
  private String describe(RuntimeException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
      if (root instanceof java.io.InterruptedIOException && String.valueOf(root.getMessage()).contains("timeout")
          || root instanceof java.net.SocketTimeoutException) {
        return "timed out after " + timeout.toMillis() + " ms (" + root.getClass().getSimpleName() + ")";
      }
    }
    String outer = e.getClass().getSimpleName() + ": " + e.getMessage();
    return root == e ? outer : outer + " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
  }

  private static ResponseFormatJsonSchema.JsonSchema.Schema schema(JsonNode schema) {
    ResponseFormatJsonSchema.JsonSchema.Schema.Builder builder = ResponseFormatJsonSchema.JsonSchema.Schema.builder();
    Iterator<Map.Entry<String, JsonNode>> fields = schema.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      builder.putAdditionalProperty(field.getKey(), JsonValue.fromJsonNode(field.getValue()));
    }
    return builder.build();
  }
}
