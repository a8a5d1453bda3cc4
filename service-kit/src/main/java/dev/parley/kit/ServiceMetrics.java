package dev.parley.kit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The figures every Parley service serves on {@code GET /metrics} (Prometheus text), named alike across services so one
 * dashboard reads them all. Components record through Micrometer's global registry; a service's main installs the
 * Prometheus registry with its {@code service} tag ({@link #install}); without it (unit tests, embedders) recording costs
 * nothing. The names, as Prometheus shows them:
 * <ul>
 *   <li>{@code parley_stage_seconds{stage, agent}}: a histogram per stage of a turn ({@link #stage});</li>
 *   <li>{@code parley_sessions_live}: sessions this instance holds now;</li>
 *   <li>{@code parley_consumer_lag_records{group}}: records the instance's group has not read yet on its partitions;</li>
 *   <li>{@code parley_dead_letters_total{topic}}: records sent to {@code <topic>.dlt};</li>
 *   <li>{@code parley_turns_total{agent, outcome}}: answered turns by outcome (ok, repaired, fallback);</li>
 *   <li>{@code parley_provider_calls_total{kind, provider, outcome}}: speech-to-text, text-to-speech and LLM calls.</li>
 * </ul>
 */
public final class ServiceMetrics {
  /** The stages of a turn, in order: the histogram's {@code stage} label. */
  public static final String STT = "stt";
  public static final String ROUTE = "route";
  public static final String LLM_FIRST_TOKEN = "llm_first_token";
  public static final String LLM_FIRST_SENTENCE = "llm_first_sentence";
  public static final String LLM_TURN = "llm_turn";
  public static final String TTS_FIRST_AUDIO = "tts_first_audio";
  public static final String VOICE_TO_VOICE = "voice_to_voice";
  private static final Duration[] BUCKETS = {Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofMillis(750), Duration.ofSeconds(1),
      Duration.ofMillis(1500), Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofSeconds(5),
      Duration.ofSeconds(8), Duration.ofSeconds(13), Duration.ofSeconds(30)};

  private ServiceMetrics() {}

  /** Installs the Prometheus registry (with JVM and process figures) for {@code service}; serve its scrape at /metrics. */
  public static PrometheusMeterRegistry install(String service) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("service", service);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    Metrics.addRegistry(registry);
    return registry;
  }

  /** The installed registry's figures in Prometheus text, if a service installed one. */
  public static java.util.Optional<String> scrape() {
    return Metrics.globalRegistry.getRegistries().stream().filter(PrometheusMeterRegistry.class::isInstance)
        .map(r -> ((PrometheusMeterRegistry) r).scrape()).findFirst();
  }

  /** Records how long one stage of a turn took, for {@code agent} ("" when the stage does not know it). */
  public static void stage(String stage, String agent, Duration took) {
    if (took.isNegative()) {
      return; // clocks of two machines disagreeing: not a figure
    }
    Timer.builder("parley.stage").description("how long each stage of a caller's turn took")
        .tags("stage", stage, "agent", agent == null ? "" : agent).serviceLevelObjectives(BUCKETS)
        .register(Metrics.globalRegistry).record(took);
  }

  /** The same, from epoch milliseconds. */
  public static void stageMs(String stage, String agent, long fromMs, long toMs) {
    stage(stage, agent, Duration.ofMillis(toMs - fromMs));
  }

  /** Counts one call of a provider: {@code kind} stt, tts or llm; {@code outcome} ok or error. */
  public static void providerCall(String kind, String provider, boolean ok) {
    Counter.builder("parley.provider.calls").tags("kind", kind, "provider", provider == null ? "" : provider,
        "outcome", ok ? "ok" : "error").register(Metrics.globalRegistry).increment();
  }

  /** Counts a turn answered for {@code agent} with {@code outcome} (ok, repaired, fallback). */
  public static void turn(String agent, String outcome) {
    Counter.builder("parley.turns").tags("agent", agent, "outcome", outcome).register(Metrics.globalRegistry)
        .increment();
  }

  /** Counts a record sent to {@code topic}'s dead-letter topic. */
  public static void deadLetter(String topic) {
    Counter.builder("parley.dead.letters").tags("topic", topic).register(Metrics.globalRegistry).increment();
  }

  /** Reports the sessions this instance holds, read from {@code live} at each scrape. */
  public static void sessionsLive(Supplier<Number> live) {
    io.micrometer.core.instrument.Gauge.builder("parley.sessions.live", () -> live.get())
        .description("sessions this instance holds now").strongReference(true).register(Metrics.globalRegistry);
  }

  /** The lag of consumer group {@code group}, which its poll loop keeps current in the returned holder. */
  public static AtomicLong consumerLag(String group) {
    AtomicLong lag = new AtomicLong();
    io.micrometer.core.instrument.Gauge.builder("parley.consumer.lag.records", lag, AtomicLong::get)
        .tags("group", group).strongReference(true).register(Metrics.globalRegistry);
    return lag;
  }
}
