package dev.parley.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.AgentConfigValidator;
import dev.parley.agentconfig.SeedAgents;
import org.junit.jupiter.api.Test;

/** With OPENAI_API_KEY set, parley up seeds the agents with a cloud model; the rest of the config stays. */
class SeedCommandTest {

  @Test
  void seedsCanBeSwitchedToAnotherProviderKeepingTheirSettings() {
    String seed = SeedAgents.json().get(0);
    AgentConfig original = AgentConfigJson.read(seed);
    AgentConfig cloud = AgentConfigJson.read(SeedCommand.withLlm(seed, "openai", "gpt-4o-mini"));

    assertThat(cloud.llmConfig().provider()).isEqualTo("openai");
    assertThat(cloud.llmConfig().model()).isEqualTo("gpt-4o-mini");
    assertThat(cloud.llmConfig().temperature()).isEqualTo(original.llmConfig().temperature());
    assertThat(cloud.promptConfig()).isEqualTo(original.promptConfig());
    assertThat(AgentConfigValidator.validate(cloud)).isEmpty();
    assertThat(SeedCommand.withLlm(seed, null, null)).isSameAs(seed);
  }
}
