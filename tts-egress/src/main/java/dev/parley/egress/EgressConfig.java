package dev.parley.egress;

import dev.parley.kit.Settings;

/** tts-egress's settings, read once at start-up. */
record EgressConfig(String bootstrapServers, String livekitUrl, String apiKey, String apiSecret, String groupId,
    boolean loopbackOnly, java.time.Duration summaryWait, java.time.Duration resumeWindow, int failoverMs,
    short replicationFactor) {

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
        dev.parley.kit.Failover.fromSettings(settings),
        (short) settings.integer("PARLEY_REPLICATION_FACTOR", 1, 1, 5, "replication factor of the dead-letter topics"));
    settings.validate("tts-egress");
    return config;
  }
}
