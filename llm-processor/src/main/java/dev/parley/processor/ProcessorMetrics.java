package dev.parley.processor;

import dev.parley.llm.TurnResponder;
import dev.parley.events.TurnOutcome;
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
    if (answer.completion() != null && answer.completion().firstTokenNanos() >= 0) {
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
