package dev.parley.processor;

import dev.parley.events.TurnOutcome;
import dev.parley.kit.ServiceMetrics;
import dev.parley.llm.TurnResponder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** Per-agent figures: time to first token, to first sentence chunk, total; tokens; schema failures; fallbacks. */
final class ProcessorMetrics {
  private final MeterRegistry registry;

  ProcessorMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void turn(String agent, TurnResponder.Answer answer, long totalNanos) {
    // the stage figures every service shares (parley_stage_seconds), beside the processor's own below
    ServiceMetrics.turn(agent, answer.outcome().name().toLowerCase(java.util.Locale.ROOT));
    ServiceMetrics.stage(ServiceMetrics.LLM_TURN, agent, Duration.ofNanos(totalNanos));
    if (answer.firstChunkNanos() >= 0) {
      ServiceMetrics.stage(ServiceMetrics.LLM_FIRST_SENTENCE, agent, Duration.ofNanos(answer.firstChunkNanos()));
    }
    if (answer.completion() != null) {
      ServiceMetrics.providerCall("llm", answer.completion().model(), true);
    } else if (answer.outcome() == TurnOutcome.FALLBACK) {
      ServiceMetrics.providerCall("llm", "", false);
    }
    if (answer.completion() != null && answer.completion().firstTokenNanos() >= 0) {
      ServiceMetrics.stage(ServiceMetrics.LLM_FIRST_TOKEN, agent, Duration.ofNanos(answer.completion()
          .firstTokenNanos()));
      timer("parley.llm.first_token", agent).record(Duration.ofNanos(answer.completion().firstTokenNanos()));
      registry.counter("parley.llm.tokens", "agent", agent, "kind", "prompt")
          .increment(answer.completion().promptTokens());
      registry.counter("parley.llm.tokens", "agent", agent, "kind", "completion")
          .increment(answer.completion().completionTokens());
    }
    if (answer.firstChunkNanos() >= 0) {
      timer("parley.llm.first_chunk", agent).record(Duration.ofNanos(answer.firstChunkNanos()));
    }
    timer("parley.llm.turn", agent).record(Duration.ofNanos(totalNanos));
    if (answer.outcome() == TurnOutcome.REPAIRED || (answer.outcome() == TurnOutcome.FALLBACK
        && answer.fallbackReason() != null && answer.fallbackReason().startsWith("schema"))) {
      registry.counter("parley.llm.schema_failures", "agent", agent).increment();
    }
    if (answer.outcome() == TurnOutcome.FALLBACK) {
      registry.counter("parley.llm.fallbacks", "agent", agent).increment();
    }
  }

  void duplicate(String agent) {
    registry.counter("parley.llm.duplicates_skipped", "agent", agent).increment();
  }

  void deadLetter(String agent) {
    registry.counter("parley.llm.dead_letters", "agent", agent).increment();
  }

  private Timer timer(String name, String agent) {
    return Timer.builder(name).tag("agent", agent).publishPercentiles(0.5, 0.99).register(registry);
  }
}
