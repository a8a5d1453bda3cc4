package dev.parley.launcher;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the local stack that {@code parley up} starts can be found, unless told otherwise. */
public final class Defaults {
  private Defaults() {}

  static String kafka() {
    return env("PARLEY_KAFKA_BOOTSTRAP", "127.0.0.1:9092");
  }

  static String configUrl() {
    return env("PARLEY_CONFIG_URL", "http://127.0.0.1:8080");
  }

  /** PARLEY_ADMIN_API_KEY, else the key {@code parley up} keeps in its data folder, else empty. */
  static String apiKey() {
    String key = env("PARLEY_ADMIN_API_KEY", "");
    Path file = Path.of(".parley", "stack", "admin-api-key");
    if (key.isEmpty() && Files.isReadable(file)) {
      try {
        key = Files.readString(file).strip();
      } catch (java.io.IOException e) {
        key = "";
      }
    }
    return key;
  }

  /** The environment, plus the offline models {@code parley setup} fetched where none is named. */
  static java.util.Map<String, String> llmEnvironment() {
    java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
    env.putAll(localModels(env));
    return env;
  }

  /**
   * PARLEY_LOCAL_MODEL (the offline LLM) and PARLEY_LLAMA_SERVER (what serves it), PARLEY_VAD_MODEL (Silero voice activity) and
   * PARLEY_PIPER_MODEL (the offline neural voice), PARLEY_MOONSHINE_DIR (offline speech-to-text) and PARLEY_SMART_TURN_MODEL
   * (end of turn from the caller's voice) pointing at
   * the files {@code parley setup} put in .parley/models and .parley/bin, for those the environment does not name.
   */
  public static java.util.Map<String, String> localModels(java.util.Map<String, String> environment) {
    java.util.Map<String, String> found = new java.util.HashMap<>();
    java.util.Map<String, String> files = java.util.Map.of(
        "PARLEY_LOCAL_MODEL", "models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "PARLEY_LLAMA_SERVER", "bin/llama-server",
        "PARLEY_VAD_MODEL", "models/silero_vad.onnx", "PARLEY_PIPER_MODEL", "models/en_US-joe-medium.onnx",
        "PARLEY_MOONSHINE_DIR", "models/moonshine-base-en", "PARLEY_SMART_TURN_MODEL", "models/smart-turn-v3.2-cpu.onnx");
    files.forEach((variable, name) -> {
      Path model = Path.of(".parley", name);
      if (environment.getOrDefault(variable, "").isBlank() && Files.exists(model)) {
        found.put(variable, model.toAbsolutePath().toString());
      }
    });
    return found;
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value.strip();
  }
}
