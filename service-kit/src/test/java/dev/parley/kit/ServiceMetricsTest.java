package dev.parley.kit;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The names and labels every service's /metrics shares, as Prometheus reads them. */
class ServiceMetricsTest {
  private PrometheusMeterRegistry registry;

  @AfterEach
  void uninstall() {
    Metrics.removeRegistry(registry);
  }

  @Test
  void aServiceServesItsStagesCountersAndGaugesUnderSharedNames() {
    registry = ServiceMetrics.install("test-service");
    ServiceMetrics.stage(ServiceMetrics.STT, "", Duration.ofMillis(420));
    ServiceMetrics.stageMs(ServiceMetrics.VOICE_TO_VOICE, "support-agent-v1", 1_000, 3_400);
    ServiceMetrics.stageMs(ServiceMetrics.VOICE_TO_VOICE, "support-agent-v1", 5_000, 4_000); // clocks disagreeing
    ServiceMetrics.providerCall("tts", "piper", false);
    ServiceMetrics.turn("support-agent-v1", "fallback");
    ServiceMetrics.deadLetter("parley.user-turns.v1");
    ServiceMetrics.sessionsLive(() -> 3);
    ServiceMetrics.consumerLag("parley-llm-support-agent-v1").set(17);

    String scraped = ServiceMetrics.scrape().orElseThrow();
    assertThat(scraped)
        .contains("parley_stage_seconds_count{agent=\"\",service=\"test-service\",stage=\"stt\"} 1")
        .contains("parley_stage_seconds_bucket{agent=\"support-agent-v1\",service=\"test-service\","
            + "stage=\"voice_to_voice\",le=\"2.0\"} 0")
        .contains("parley_stage_seconds_bucket{agent=\"support-agent-v1\",service=\"test-service\","
            + "stage=\"voice_to_voice\",le=\"3.0\"} 1")
        .contains("parley_stage_seconds_count{agent=\"support-agent-v1\",service=\"test-service\","
            + "stage=\"voice_to_voice\"} 1")
        .contains("parley_provider_calls_total{kind=\"tts\",outcome=\"error\",provider=\"piper\",service=\"test-service\"}"
            + " 1.0")
        .contains("parley_turns_total{agent=\"support-agent-v1\",outcome=\"fallback\",service=\"test-service\"} 1.0")
        .contains("parley_dead_letters_total{service=\"test-service\",topic=\"parley.user-turns.v1\"} 1.0")
        .contains("parley_sessions_live{service=\"test-service\"} 3.0")
        .contains("parley_consumer_lag_records{group=\"parley-llm-support-agent-v1\",service=\"test-service\"} 17.0")
        .contains("jvm_memory_used_bytes").contains("process_cpu_usage");
  }

  @Test
  void withNoRegistryInstalledRecordingCostsNothingAndThereIsNothingToScrape() {
    ServiceMetrics.stage(ServiceMetrics.ROUTE, "a", Duration.ofMillis(3));
    assertThat(ServiceMetrics.scrape()).isEmpty();
    registry = new PrometheusMeterRegistry(io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT);
  }
}
