package dev.parley.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.kit.Settings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which agents an instance serves: PARLEY_AGENTS exactly, or the seed's AGENT_FILTER by part of the id. */
class ProcessorConfigTest {

  private static ProcessorConfig config(Map<String, String> env) {
    return ProcessorConfig.from(new Settings(env));
  }

  @Test
  void theSeedsFilterMatchesAPartOfTheAgentId() {
    ProcessorConfig support = config(Map.of("AGENT_FILTER", "support"));
    assertThat(support.serves("support-agent-v1")).isTrue();
    assertThat(support.serves("acme-support-agent-v2")).isTrue();
    assertThat(support.serves("sales-agent-v1")).isFalse();
  }

  @Test
  void aCommaListServesEachPartAndABangLeavesAnAgentOut() {
    ProcessorConfig both = config(Map.of("AGENT_FILTER", "sales, onboarding"));
    assertThat(both.serves("sales-agent-v1")).isTrue();
    assertThat(both.serves("onboarding-agent-v1")).isTrue();
    assertThat(both.serves("support-agent-v1")).isFalse();

    ProcessorConfig pool = config(Map.of("AGENT_FILTER", "!support,!sales"));
    assertThat(pool.serves("support-agent-v1")).isFalse();
    assertThat(pool.serves("sales-agent-v1")).isFalse();
    assertThat(pool.serves("onboarding-agent-v1")).isTrue();
    assertThat(pool.serves("pte-interview-agent-v1")).isTrue();
  }

  @Test
  void theExactListAndNoLimitStillWork() {
    ProcessorConfig exact = config(Map.of("PARLEY_AGENTS", "support-agent-v1"));
    assertThat(exact.serves("support-agent-v1")).isTrue();
    assertThat(exact.serves("support-agent-v2")).as("PARLEY_AGENTS is exact, not a part").isFalse();
    assertThat(config(Map.of()).serves("anything-v1")).isTrue();
  }

  @Test
  void aFilterThatMeansNothingOrBothSettingsAreRefusedWithTheFix() {
    assertThatThrownBy(() -> config(Map.of("AGENT_FILTER", "!")))
        .hasMessageContaining("AGENT_FILTER: '!' matches every agent");
    assertThatThrownBy(() -> config(Map.of("AGENT_FILTER", "sales", "PARLEY_AGENTS", "sales-agent-v1")))
        .hasMessageContaining("set it or PARLEY_AGENTS, not both");
  }

  @Test
  void everyReplySaysWhichInstanceAnsweredIt() {
    assertThat(config(Map.of("PARLEY_PROCESSOR_INSTANCE_ID", "sales-3")).instanceName()).isEqualTo("sales-3");
    assertThat(config(Map.of()).instanceName()).startsWith("llm-processor@");
  }

  @Test
  void failOverIsOneAndAHalfSecondsByDefaultAndABadValueIsNamed() {
    assertThat(config(Map.of()).failoverMs()).isEqualTo(1_500);
    assertThat(config(Map.of("PARLEY_FAILOVER_MS", "3000")).failoverMs()).isEqualTo(3_000);
    assertThatThrownBy(() -> config(Map.of("PARLEY_FAILOVER_MS", "100"))).hasMessageContaining("PARLEY_FAILOVER_MS");
    assertThatThrownBy(() -> config(Map.of("PARLEY_FAILOVER_MS", "soon"))).hasMessageContaining("PARLEY_FAILOVER_MS");
  }
}
