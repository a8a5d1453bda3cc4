package dev.parley.launcher;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the local stack that {@code parley up} starts can be found, unless told otherwise. */
final class Defaults {
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

  /** The environment, plus the offline model {@code parley setup} fetched when none is named. */
  static java.util.Map<String, String> llmEnvironment() {
    java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
    Path model = Path.of(".parley", "models", "gemma-3-270m-q4_k_m.gguf");
    if (env.getOrDefault("PARLEY_LOCAL_MODEL", "").isBlank() && Files.exists(model)) {
      env.put("PARLEY_LOCAL_MODEL", model.toAbsolutePath().toString());
    }
    return env;
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value.strip();
  }
}
