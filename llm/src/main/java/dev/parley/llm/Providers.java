package dev.parley.llm;

import java.util.function.Consumer;

/**
 * Picks the provider an agent config names: {@code openai}/{@code openai-compatible} go to
 * {@code OPENAI_BASE_URL} (or the agent's own {@code base_url}), {@code local} to the in-process
 * model in {@code PARLEY_LOCAL_MODEL} (or a local model server at {@code PARLEY_LOCAL_LLM_URL}). A provider that is not configured fails each call with a
 * clear message, which the caller hears as an apology and the turn records as its fallback reason.
 */
public final class Providers implements LlmProvider {
  private final LlmSettings config;
  private final java.util.Map<String, LlmProvider> byUrl = new java.util.concurrent.ConcurrentHashMap<>();

  private LocalLlamaProvider local;

  public Providers(LlmSettings config) {
    this.config = config;
  }

  /** The in-process model, loaded on first use. */
  private synchronized LlmProvider local() {
    if (local == null) {
      if (config.localModel().isBlank()) {
        throw new LlmException("provider 'local' is not configured: set PARLEY_LOCAL_MODEL to a GGUF file"
            + " (./parley setup fetches one) or PARLEY_LOCAL_LLM_URL to an OpenAI-compatible server", null);
      }
      try {
        local = new LocalLlamaProvider(java.nio.file.Path.of(config.localModel()), config.localThreads());
      } catch (RuntimeException e) {
        throw new LlmException("cannot load the local model: " + e.getMessage(), e);
      }
    }
    return local;
  }

  @Override
  public String name() {
    return "by-agent-config";
  }

  @Override
  public Completion complete(Request request, Consumer<String> onDelta) {
    String providerName = request.provider() == null ? "local" : request.provider();
    String baseUrl = request.baseUrl();
    String url = switch (providerName) {
      case "local" -> config.localLlmUrl();
      default -> baseUrl != null && !baseUrl.isBlank() ? baseUrl : config.openAiBaseUrl();
    };
    if (providerName.equals("local") && url.isBlank()) {
      return local().complete(request, onDelta);
    }
    if (!providerName.equals("local") && url.isBlank() && config.openAiApiKey().isBlank()) {
      throw new LlmException("provider '" + providerName + "' is not configured: set OPENAI_API_KEY (and"
          + " OPENAI_BASE_URL for a compatible server)", null);
    }
    LlmProvider provider = byUrl.computeIfAbsent(providerName + "|" + url, k -> new OpenAiProvider(url,
        providerName.equals("local") ? "" : config.openAiApiKey(), config.llmTimeout(), config.llmRetries()));
    return provider.complete(request, onDelta);
  }
}
