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

  /**
   * The trace id of a W3C {@code traceparent} value ({@code 00-<32 hex trace id>-<16 hex span id>-<flags>}), or null
   * when the value is absent, malformed, or the all-zero invalid id.
   */
  public static String traceIdOf(String traceparent) {
    if (traceparent == null) {
      return null;
    }
    String[] parts = traceparent.trim().split("-");
    if (parts.length < 4 || parts[1].length() != 32 || !parts[1].matches("[0-9a-f]{32}")
        || parts[1].chars().allMatch(c -> c == '0')) {
      return null;
    }
    return parts[1];
  }
}
