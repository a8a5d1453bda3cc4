package dev.parley.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DotEnvTest {
  @Test
  void keysComeFromDotEnvLocalThenDotEnvAndTheRealEnvironmentWins(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve(".env.local"), """
        # the seed's frontend keys
        LIVEKIT_URL=wss://example.livekit.cloud
        export OPENAI_API_KEY="sk-local"
        DEEPGRAM_API_KEY='dg-local' 
        """);
    Files.writeString(dir.resolve(".env"), """
        OPENAI_API_KEY=sk-from-dotenv
        CARTESIA_API_KEY=ca-1   # trailing comment
        PATH=/should/not/win
        """);
    DotEnv.Loaded loaded = DotEnv.load(dir, Map.of("PATH", "/usr/bin"));

    assertThat(loaded.environment()).containsEntry("LIVEKIT_URL", "wss://example.livekit.cloud")
        .containsEntry("OPENAI_API_KEY", "sk-local").containsEntry("DEEPGRAM_API_KEY", "dg-local")
        .containsEntry("CARTESIA_API_KEY", "ca-1").containsEntry("PATH", "/usr/bin");
    assertThat(loaded.takenFrom()).containsEntry(".env.local", List.of("LIVEKIT_URL", "OPENAI_API_KEY", "DEEPGRAM_API_KEY"))
        .containsEntry(".env", List.of("CARTESIA_API_KEY"));
    assertThat(loaded.report()).containsExactly("keys from .env.local: LIVEKIT_URL, OPENAI_API_KEY, DEEPGRAM_API_KEY",
        "keys from .env: CARTESIA_API_KEY");
    assertThat(String.join("\n", loaded.report())).as("values are never printed").doesNotContain("sk-local", "dg-local");
  }

  @Test
  void noFilesChangeNothingAndBadLinesAreNamedByNumberOnly(@TempDir Path dir) throws Exception {
    assertThat(DotEnv.load(dir, Map.of("A", "1")).environment()).isEqualTo(Map.of("A", "1"));
    assertThat(DotEnv.load(dir, Map.of()).report()).isEmpty();

    Files.writeString(dir.resolve(".env"), "OPENAI_API_KEY=sk-1\nthis is not a setting sk-secret\n1BAD=x\n");
    DotEnv.Loaded loaded = DotEnv.load(dir, Map.of());
    assertThat(loaded.environment()).containsOnlyKeys("OPENAI_API_KEY");
    assertThat(loaded.report()).containsExactly("keys from .env: OPENAI_API_KEY", "ignored: .env line 2 is not KEY=value",
        "ignored: .env line 3 is not KEY=value");
  }
}
