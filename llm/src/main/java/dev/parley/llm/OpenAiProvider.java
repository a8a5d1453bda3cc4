package dev.parley.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import java.time.Duration;
import java.util.Iterator;
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
    for (Message message : request.messages()) {
      switch (message.role()) {
        case "system" -> params.addSystemMessage(message.content());
        case "assistant" -> params.addAssistantMessage(message.content());
        default -> params.addUserMessage(message.content());
      }
    }
    long start = System.nanoTime();
    long firstToken = -1;
    StringBuilder text = new StringBuilder();
    int promptTokens = 0;
    int completionTokens = 0;
    String model = request.model();
    try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params.build())) {
      Iterator<ChatCompletionChunk> chunks = stream.stream().iterator();
      while (chunks.hasNext()) {
        ChatCompletionChunk chunk = chunks.next();
        model = chunk.model();
        for (ChatCompletionChunk.Choice choice : chunk.choices()) {
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
    return new Completion(text.toString(), promptTokens, completionTokens, firstToken, model);
  }

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
