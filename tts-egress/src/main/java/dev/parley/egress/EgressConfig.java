package dev.parley.egress;

import dev.parley.kit.Settings;

/** tts-egress's settings, read once at start-up. */
record EgressConfig(String bootstrapServers, String livekitUrl, String apiKey, String apiSecret, String groupId,
    boolean loopbackOnly, java.time.Duration summaryWait, java.time.Duration resumeWindow, int failoverMs) {

  /** Kafka's usual session timeout, used when the broker refuses {@code PARLEY_FAILOVER_MS}. */
  static final int FALLBACK_FAILOVER_MS = 10_000;

  static EgressConfig from(Settings settings) {
    EgressConfig config = new EgressConfig(
        settings.string("PARLEY_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers"),
        settings.string("LIVEKIT_URL", "ws://127.0.0.1:7880", "LiveKit server URL"),
        settings.string("LIVEKIT_API_KEY", "devkey", "LiveKit API key"),
        settings.string("LIVEKIT_API_SECRET", "secret", "LiveKit API secret"),
        settings.string("PARLEY_EGRESS_GROUP", "parley-egress", "consumer group"),
        Boolean.parseBoolean(settings.string("PARLEY_LOOPBACK_ONLY", "true", "keep WebRTC on 127.0.0.1")),
        java.time.Duration.ofSeconds(settings.integer("PARLEY_EGRESS_SUMMARY_WAIT_SECONDS", 60, 0, 600,
            "how long the agent's voice stays in the room after the session ended, for the summary")),
        java.time.Duration.ofMinutes(settings.integer("PARLEY_EGRESS_RESUME_MINUTES", 60, 0, 24 * 60,
            "sessions started this recently and not ended are resumed when this instance takes their partition"
                + " (after a crash or a rebalance); 0: never")),
        settings.integer("PARLEY_FAILOVER_MS", 1_500, 500, 60_000, "how long an instance that stopped keeps its"
            + " sessions before a running peer takes them over (the consumer group's session timeout; the broker's"
            + " group.min.session.timeout.ms must allow it)"));
    settings.validate("tts-egress");
    return config;
  }
}
