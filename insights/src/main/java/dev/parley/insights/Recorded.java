package dev.parley.insights;

/**
 * One event as a topic holds it: where it is, the record timestamp, the session key, and the decoded
 * event (a {@code SessionStarted}, {@code UserTurn}, {@code AgentTurn}, {@code PlaybackEvent}, ...).
 * On a per-agent topic {@code event} is the routed copy's inner event and {@code routed} is true.
 * {@code traceId} is the OpenTelemetry trace the record was written in (from its {@code traceparent} header), or null
 * when the writer did not trace.
 */
public record Recorded(String topic, int partition, long offset, long timestamp, String key, Object event,
    boolean routed, String traceId) {

  /** A record written outside any trace. */
  public Recorded(String topic, int partition, long offset, long timestamp, String key, Object event, boolean routed) {
    this(topic, partition, offset, timestamp, key, event, routed, null);
  }
}
