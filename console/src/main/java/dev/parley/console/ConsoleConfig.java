package dev.parley.console;

import dev.parley.kit.Settings;
import java.nio.file.Files;
import java.nio.file.Path;

/** The console's settings, read once at start-up. */
record ConsoleConfig(String bootstrapServers, String host, int port, String adminApiKey, String readOnlyApiKey,
    String tokenUrl, String webDir) {

  static ConsoleConfig from(Settings settings) {
    ConsoleConfig config = new ConsoleConfig(
        settings.string("PARLEY_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers"),
        settings.string("PARLEY_CONSOLE_HOST", "127.0.0.1", "address the console listens on"),
        settings.integer("PARLEY_CONSOLE_PORT", 8090, 0, 65535, "console port (0 picks one)"),
        settings.string("PARLEY_ADMIN_API_KEY", null, "API key with the admin role (what-if)"),
        settings.string("PARLEY_READONLY_API_KEY", "", "API key with the read-only role (replay, analytics)"),
        settings.string("PARLEY_TOKEN_URL", "http://127.0.0.1:8080/api/v1/livekit/token", "where the page asks"
            + " config-service for a caller's LiveKit token, as the caller's browser reaches it"),
        settings.string("PARLEY_WEB_DIR", "", "folder of the built agent-picker page (web/dist), served at /"));
    StringBuilder problems = new StringBuilder();
    try {
      settings.validate("console");
    } catch (IllegalStateException e) { // each problem on its own line, after the heading: one message names all
      problems.append(e.getMessage().substring(e.getMessage().indexOf('\n')));
    }
    if (!config.webDir().isEmpty() && !Files.isRegularFile(Path.of(config.webDir(), "index.html"))) {
      problems.append("\n  PARLEY_WEB_DIR: no index.html in ").append(config.webDir())
          .append(" (build it with: cd web && npm ci && npm run build)");
    }
    if (config.adminApiKey() != null && config.adminApiKey().length() < 16) {
      problems.append("\n  PARLEY_ADMIN_API_KEY: must be at least 16 characters");
    }
    if (!config.tokenUrl().matches("(https?://[^\\s]+)?/[^\\s]*")) {
      problems.append("\n  PARLEY_TOKEN_URL: '").append(config.tokenUrl())
          .append("' is not an http(s) URL or a path");
    }
    if (problems.length() > 0) {
      throw new IllegalStateException("console configuration is invalid:" + problems);
    }
    return config;
  }
}
