package dev.parley.kit;

/**
 * How fast a dead instance's sessions move to a running peer: the consumer group's session timeout, read from
 * {@code PARLEY_FAILOVER_MS} by every service that consumes in a group (llm-processor, router-stream, tts-egress).
 */
public final class Failover {
  public static final String SETTING = "PARLEY_FAILOVER_MS";
  /** 1.5 s: Parley's brokers allow group sessions from 1 s ({@code group.min.session.timeout.ms=1000}). */
  public static final int DEFAULT_MS = 1_500;
  /** Kafka's usual timeout, used when a broker refuses ours. */
  public static final int FALLBACK_MS = 10_000;

  private Failover() {}

  /** The setting, validated: 500 ms to 60 s. */
  public static int fromSettings(Settings settings) {
    return settings.integer(SETTING, DEFAULT_MS, 500, 60_000, "how long an instance that stopped keeps its sessions"
        + " before a running peer takes them over (its consumer group's session timeout; the brokers'"
        + " group.min.session.timeout.ms must allow it)");
  }

  /** Heartbeats every third of the session timeout, as Kafka recommends. */
  public static int heartbeatMs(int sessionTimeoutMs) {
    return Math.max(100, sessionTimeoutMs / 3);
  }

  /** What a service logs when the broker refuses {@code ms}; {@code then} says what it does instead. */
  public static String refused(int ms, String then) {
    return "the Kafka broker refused a " + ms + " ms group session timeout; " + then + ". For fail-over in about "
        + ms / 1000.0 + " s set group.min.session.timeout.ms=" + ms + " (or lower) on the brokers, or set " + SETTING
        + " to what they allow (Kafka's default minimum is 6000)";
  }
}
