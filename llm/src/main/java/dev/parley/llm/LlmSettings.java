package dev.parley.llm;

import dev.parley.kit.Settings;
import java.time.Duration;

/** Where the LLM providers are and how they are called; read from the environment by every user of this module. */
public record LlmSettings(String openAiBaseUrl, String openAiApiKey, String localLlmUrl, String localModel,
    int localThreads, Duration llmTimeout, int llmRetries, String llamaServer, int localSlots) {

  /** Reads the provider keys; the caller validates {@code settings} once it has read its own keys too. */
  public static LlmSettings from(Settings settings) {
    return new LlmSettings(
        settings.string("OPENAI_BASE_URL", "", "OpenAI-compatible base URL for provider openai/openai-compatible"),
        settings.string("OPENAI_API_KEY", "", "API key for the OpenAI-compatible provider"),
        settings.string("PARLEY_LOCAL_LLM_URL", "", "OpenAI-compatible URL of the local model server for provider"
            + " 'local' (for example llama.cpp's llama-server)"),
        settings.string("PARLEY_LOCAL_MODEL", "", "default GGUF model file for provider 'local' (other models"
            + " named by llm_config.model are looked up beside it)"),
        settings.integer("PARLEY_LOCAL_THREADS", Math.max(1, Runtime.getRuntime().availableProcessors()), 1, 256,
            "CPU threads of the local model server"),
        Duration.ofMillis(settings.integer("PARLEY_LLM_TIMEOUT_MS", 30_000, 100, 600_000, "LLM request timeout")),
        settings.integer("PARLEY_LLM_MAX_RETRIES", 2, 0, 10, "LLM retries with back-off"),
        settings.string("PARLEY_LLAMA_SERVER", "", "llama.cpp's llama-server binary that serves the local model"
            + " (./parley setup builds one)"),
        settings.integer("PARLEY_LOCAL_SLOTS", 4, 1, 64, "conversations the local model server generates for at once"));
  }
}
