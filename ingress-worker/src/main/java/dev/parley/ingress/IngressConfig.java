package dev.parley.ingress;

import dev.parley.kit.Settings;

/** ingress-worker's settings, read once at start-up. */
record IngressConfig(String bootstrapServers, String livekitUrl, String apiKey, String apiSecret, String agentName,
    int maxJobs, int endpointingMs, int vadFloorRms, String vad, String vadModel, boolean loopbackOnly,
    java.time.Duration resumeWindow, boolean readAhead) {

  static IngressConfig from(Settings settings) {
    IngressConfig config = new IngressConfig(
        settings.string("PARLEY_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers"),
        settings.string("LIVEKIT_URL", "ws://127.0.0.1:7880", "LiveKit server URL"),
        settings.string("LIVEKIT_API_KEY", "devkey", "LiveKit API key"),
        settings.string("LIVEKIT_API_SECRET", "secret", "LiveKit API secret"),
        settings.string("PARLEY_AGENT_NAME", "parley", "agent name rooms dispatch to"),
        settings.integer("PARLEY_INGRESS_MAX_JOBS", 20, 1, 1000, "rooms served at once by this worker"),
        settings.integer("PARLEY_ENDPOINTING_MS", 600, 100, 5000, "silence that ends a user turn"),
        settings.integer("PARLEY_VAD_FLOOR_RMS", 500, 1, 30_000, "the quietest level the energy detector counts as speech"),
        settings.oneOf("PARLEY_VAD", "auto", java.util.List.of("auto", "silero", "energy"),
            "voice activity detector: silero (model required), energy, or auto (silero when its model is there)"),
        settings.string("PARLEY_VAD_MODEL", "", "the Silero VAD ONNX file (./parley setup puts it in .parley/models)"),
        Boolean.parseBoolean(settings.string("PARLEY_LOOPBACK_ONLY", "true", "keep WebRTC on 127.0.0.1")),
        java.time.Duration.ofMinutes(settings.integer("PARLEY_INGRESS_RESUME_MINUTES", 60, 0, 24 * 60,
            "at start-up, calls started this recently whose listener is gone are dispatched again; 0: never")),
        settings.oneOf("PARLEY_READ_AHEAD", "false", java.util.List.of("true", "false"),
            "send a draft transcript at each pause, for the agent's model to read ahead (off: measured slower on"
                + " 2 cores, see docs/benchmarks.md)").equals("true"));
    settings.validate("ingress-worker");
    return config;
  }
}
