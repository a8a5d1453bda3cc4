package dev.parley.llm;

import java.util.function.Consumer;

/**
 * Picks the provider an agent config names: {@code openai}/{@code openai-compatible} go to
 * {@code OPENAI_BASE_URL} (or the agent's own {@code base_url}), {@code local} to the
 * model in {@code PARLEY_LOCAL_MODEL}, served by a llama-server child (or an OpenAI-compatible local server at
 * {@code PARLEY_LOCAL_LLM_URL}). A provider that is not configured fails each call with a
 * clear message, which the caller hears as an apology and the turn records as its fallback reason.
 */
public final class Providers implements LlmProvider, AutoCloseable {
  private final LlmSettings config;
  private final java.util.Map<String, LlmProvider> byUrl = new java.util.concurrent.ConcurrentHashMap<>();

  private final java.util.Map<String, LocalLlamaProvider> locals = new java.util.HashMap<>();

  public Providers(LlmSettings config) {
    this.config = config;
  }

  /** The names {@code llm_config.model} may use for the default local model. */
  static final java.util.Set<String> DEFAULT_NAMES = java.util.Set.of("", "local-default", "default");

  /**
   * The local model an agent names, started on first use: the default model ({@code PARLEY_LOCAL_MODEL})
   * for "local-default", otherwise a GGUF file beside it whose name starts with the model name (for
   * example "smollm2-135m-instruct" finds smollm2-135m-instruct-q4_1.gguf).
   */
  synchronized LocalLlamaProvider local(String model) {
    if (config.localModel().isBlank()) {
      throw new LlmException("provider 'local' is not configured: set PARLEY_LOCAL_MODEL to a GGUF file"
          + " (./parley setup fetches one) or PARLEY_LOCAL_LLM_URL to an OpenAI-compatible server", null);
    }
    if (config.llamaServer().isBlank()) {
      throw new LlmException("provider 'local' needs llama-server: set PARLEY_LLAMA_SERVER (./parley setup builds"
          + " one) or PARLEY_LOCAL_LLM_URL to an OpenAI-compatible server", null);
    }
    String name = model == null ? "" : model.strip();
    java.nio.file.Path file = DEFAULT_NAMES.contains(name) ? java.nio.file.Path.of(config.localModel())
        : findModel(java.nio.file.Path.of(config.localModel()).toAbsolutePath().getParent(), name);
    LocalLlamaProvider provider = locals.get(file.toString());
    if (provider != null && !provider.alive()) {
      provider.close();
      provider = null; // the server died: start another
    }
    if (provider == null) {
      try {
        provider = new LocalLlamaProvider(java.nio.file.Path.of(config.llamaServer()), file, config.localThreads(),
            config.localSlots(), config.llmTimeout());
      } catch (RuntimeException e) {
        throw new LlmException(e.getMessage(), e);
      }
      locals.put(file.toString(), provider);
    }
    return provider;
  }

  private static java.nio.file.Path findModel(java.nio.file.Path dir, String name) {
    java.util.List<String> known = new java.util.ArrayList<>();
    try (var files = java.nio.file.Files.list(dir)) {
      for (java.nio.file.Path file : files.sorted().toList()) {
        String fileName = file.getFileName().toString();
        if (fileName.endsWith(".gguf")) {
          if (fileName.startsWith(name)) {
            return file;
          }
          known.add(fileName.replace(".gguf", ""));
        }
      }
    } catch (java.io.IOException e) {
      // reported below
    }
    throw new LlmException("local model '" + name + "' not found in " + dir + " (known: local-default"
        + (known.isEmpty() ? "" : ", " + String.join(", ", known)) + ")", null);
  }

  @Override
  public String name() {
    return "by-agent-config";
  }

  @Override
  public void warm(Request request) {
    String providerName = request.provider() == null ? "local" : request.provider();
    if (providerName.equals("local") && config.localLlmUrl().isBlank()) {
      local(request.model()).warm(request);
    }
  }

  /** Stops the local model servers this started. */
  public synchronized void close() {
    locals.values().forEach(LocalLlamaProvider::close);
    locals.clear();
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
      return local(request.model()).complete(request, onDelta);
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
