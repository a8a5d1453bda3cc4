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

  @Test
  void theSupportAgentsOrderToolCanPointAtTheOrderDeskOfAnotherDeployment() {
    String seed = SeedAgents.json().get(0);
    AgentConfig compose = AgentConfigJson.read(SeedCommand.orderDesk("http://order-desk:8094/").apply(seed));
    assertThat(compose.tool("order_status").orElseThrow().http().url())
        .isEqualTo("http://order-desk:8094/orders/{order_id}");
    assertThat(AgentConfigValidator.validate(compose)).isEmpty();
    assertThat(SeedCommand.orderDesk("").apply(seed)).isSameAs(seed);
    assertThat(AgentConfigJson.read(seed).tool("order_status").orElseThrow().http().url())
        .startsWith(SeedCommand.LOCAL_ORDER_DESK + "/orders/");
  }

  @Test
  void theKeysInTheEnvironmentPickTheSeedsCloudEngines() {
    String seed = SeedAgents.json().get(1);
    AgentConfig all = AgentConfigJson.read(SeedCommand.cloudProviders(java.util.Map.of("OPENAI_API_KEY", "k",
        "DEEPGRAM_API_KEY", "d")).adjust().apply(seed));
    assertThat(all.llmConfig().provider()).isEqualTo("openai");
    assertThat(all.sttConfig().provider()).isEqualTo("deepgram");
    assertThat(all.voiceConfig().provider()).isEqualTo("openai");
    assertThat(AgentConfigValidator.validate(all)).isEmpty();

    SeedCommand.Providers eleven = SeedCommand.cloudProviders(java.util.Map.of("ELEVENLABS_API_KEY", "e"));
    AgentConfig voiceOnly = AgentConfigJson.read(eleven.adjust().apply(seed));
    assertThat(voiceOnly.voiceConfig().provider()).isEqualTo("elevenlabs");
    assertThat(voiceOnly.llmConfig().provider()).isEqualTo("local");
    assertThat(eleven.description()).contains("LLM offline").contains("voice elevenlabs");

    assertThat(SeedCommand.cloudProviders(java.util.Map.of()).adjust().apply(seed)).isEqualTo(seed);
    assertThat(SeedCommand.cloudProviders(java.util.Map.of("OPENAI_API_KEY", "k", "PARLEY_SEED_PROVIDERS", "local"))
        .adjust().apply(seed)).isEqualTo(seed);
  }
}
