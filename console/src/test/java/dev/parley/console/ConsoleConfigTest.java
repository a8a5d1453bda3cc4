package dev.parley.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.kit.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleConfigTest {
  private static final String KEY = "console-admin-key-0123";

  @Test
  void defaultsPointThePageAtALocalConfigService() {
    ConsoleConfig config = ConsoleConfig.from(new Settings(Map.of("PARLEY_ADMIN_API_KEY", KEY)));
    assertThat(config.port()).isEqualTo(8090);
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.tokenUrl()).isEqualTo("http://127.0.0.1:8080/api/v1/livekit/token");
    assertThat(config.webDir()).isEmpty();
  }

  @Test
  void everyBadSettingIsNamedAtOnce(@TempDir Path empty) {
    assertThatThrownBy(() -> ConsoleConfig.from(new Settings(Map.of("PARLEY_ADMIN_API_KEY", "short",
        "PARLEY_WEB_DIR", empty.toString(), "PARLEY_TOKEN_URL", "config-service:8080"))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("PARLEY_WEB_DIR: no index.html in " + empty)
        .hasMessageContaining("PARLEY_ADMIN_API_KEY: must be at least 16 characters")
        .hasMessageContaining("PARLEY_TOKEN_URL: 'config-service:8080' is not an http(s) URL or a path");
  }

  @Test
  void aMissingAdminKeyOrABadPortIsRefused() {
    assertThatThrownBy(() -> ConsoleConfig.from(new Settings(Map.of()))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("PARLEY_ADMIN_API_KEY");
    assertThatThrownBy(() -> ConsoleConfig.from(new Settings(Map.of("PARLEY_ADMIN_API_KEY", KEY,
        "PARLEY_CONSOLE_PORT", "eighty")))).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("PARLEY_CONSOLE_PORT");
  }

  @Test
  void aBuiltPageAndASameOriginPathAreAccepted(@TempDir Path web) throws Exception {
    Files.writeString(web.resolve("index.html"), "<!doctype html>");
    ConsoleConfig config = ConsoleConfig.from(new Settings(Map.of("PARLEY_ADMIN_API_KEY", KEY,
        "PARLEY_WEB_DIR", web.toString(), "PARLEY_TOKEN_URL", "/api/v1/livekit/token")));
    assertThat(config.webDir()).isEqualTo(web.toString());
    assertThat(config.tokenUrl()).isEqualTo("/api/v1/livekit/token");
  }
}
