package dev.parley.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopicsTest {

  @Test
  void everySessionTopicIsKeyedBySessionIdAndConfigTopicsAreCompacted() {
    for (Topic<?, ?> topic : Topics.all()) {
      assertThat(topic.keySerde().getClass()).isEqualTo(Serdes.String().getClass());
      assertThat(topic.name()).matches("parley\\.[a-z-]+\\.v1");
    }
    assertThat(Topics.AGENT_CONFIGS.cleanup()).isEqualTo(Topic.Cleanup.COMPACT);
    assertThat(Topics.ROUTING_RULES.cleanup()).isEqualTo(Topic.Cleanup.COMPACT);
    assertThat(Topics.USER_TURNS.cleanup()).isEqualTo(Topic.Cleanup.DELETE);
    assertThat(Topics.AGENT_CONFIGS.configs()).containsEntry("cleanup.policy", "compact");
  }

  @Test
  void perAgentTopicsRoundTripTheirAgentId() {
    Topic<String, ?> topic = Topics.agent("support-agent-v1");

    assertThat(topic.name()).isEqualTo("parley.agent.support-agent-v1.v1");
    assertThat(topic.name()).matches(Topics.agentTopicPattern());
    assertThat(Topics.agentIdOf(topic.name())).isEqualTo("support-agent-v1");
    assertThat(Topics.agentIdOf("parley.user-turns.v1")).isNull();
    assertThat(topic.partitions()).isEqualTo(Topics.SESSION_PARTITIONS);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Support", "has space", "../etc", "a.b", "-leading-dash",
      "waaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaay-too-long"})
  void agentIdsThatCannotNameATopicAreRefused(String agentId) {
    assertThatThrownBy(() -> Topics.agent(agentId))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid agent id");
  }

  @Test
  void deadLettersGoToTheOriginTopicWithDltSuffix() {
    assertThat(Topics.deadLetters(Topics.USER_TURNS).name()).isEqualTo("parley.user-turns.v1.dlt");
    assertThat(Topics.deadLetters(Topics.USER_TURNS).partitions()).isEqualTo(Topics.USER_TURNS.partitions());
  }
}
