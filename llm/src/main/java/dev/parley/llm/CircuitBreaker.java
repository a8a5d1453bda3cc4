package dev.parley.llm;

import java.time.Clock;
import java.time.Duration;

/**
 * Stops calling a failing provider: after {@code threshold} consecutive failures the circuit opens
 * for {@code openFor}, during which calls fail at once (the caller hears an apology instead of
 * waiting out another timeout); then one trial call is let through.
 */
public final class CircuitBreaker {
  private final int threshold;
  private final Duration openFor;
  private final Clock clock;
  private int failures;
  private long openUntil;

  public CircuitBreaker(int threshold, Duration openFor, Clock clock) {
    this.threshold = threshold;
    this.openFor = openFor;
    this.clock = clock;
  }

  synchronized boolean allowed() {
    return clock.millis() >= openUntil;
  }

  synchronized void succeeded() {
    failures = 0;
    openUntil = 0;
  }

  synchronized void failed() {
    failures++;
    if (failures >= threshold) {
      openUntil = clock.millis() + openFor.toMillis();
    }
  }

  synchronized boolean open() {
    return !allowed();
  }
}
