package dev.parley.config;

import dev.parley.kit.Settings;

/** config-service's settings, read once at start-up. */
record ConfigServiceConfig(String bootstrapServers, String mongoUri, String database, String host, int port,
    String adminApiKey, String readOnlyApiKey, String livekitUrl, String livekitApiKey, String livekitApiSecret,
    String agentName, int tokenTtlSeconds, int tokenRequestsPerMinute, short replicationFactor,
    java.util.Map<String, String> tenantKeys) {

  static ConfigServiceConfig from(Settings settings) {
    ConfigServiceConfig config = new ConfigServiceConfig(
        settings.string("PARLEY_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers"),
        settings.string("PARLEY_MONGODB_URI", "mongodb://127.0.0.1:27017/", "MongoDB connection string"),
        settings.string("PARLEY_MONGODB_DATABASE", "parley", "database name"),
        settings.string("PARLEY_CONFIG_HOST", "127.0.0.1", "address the Admin API listens on"),
        settings.integer("PARLEY_CONFIG_PORT", 8080, 0, 65535, "Admin API port (0 picks one)"),
        settings.string("PARLEY_ADMIN_API_KEY", null, "API key with the admin role (read and write)"),
        settings.string("PARLEY_READONLY_API_KEY", "", "API key with the read-only role (optional)"),
        settings.string("LIVEKIT_URL", "ws://127.0.0.1:7880", "LiveKit server URL handed to clients"),
        settings.string("LIVEKIT_API_KEY", "devkey", "LiveKit API key"),
        settings.string("LIVEKIT_API_SECRET", "secret", "LiveKit API secret"),
        settings.string("PARLEY_AGENT_NAME", "parley", "agent name LiveKit dispatches to rooms"),
        settings.integer("PARLEY_TOKEN_TTL_SECONDS", 600, 30, 86_400, "lifetime of issued LiveKit tokens"),
        settings.integer("PARLEY_TOKEN_RATE_PER_MINUTE", 30, 1, 100_000, "token requests per client per minute"),
        (short) settings.integer("PARLEY_REPLICATION_FACTOR", 1, 1, 5, "replication factor of created topics"),
        tenantKeys(settings.list("PARLEY_TENANT_KEYS", "tenant=key pairs, comma-separated: a token request with a"
            + " tenant's key gets that tenant (and only it)")));
    if (config.adminApiKey() != null && config.adminApiKey().length() < 16) {
      throw new IllegalStateException("config-service configuration is invalid:\n  PARLEY_ADMIN_API_KEY: "
          + "must be at least 16 characters");
    }
    settings.validate("config-service");
    return config;
  }

  private static java.util.Map<String, String> tenantKeys(java.util.List<String> pairs) {
    java.util.Map<String, String> keys = new java.util.LinkedHashMap<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      String tenant = eq < 0 ? "" : pair.substring(0, eq).strip();
      String key = eq < 0 ? "" : pair.substring(eq + 1).strip();
      String problem = eq < 0 ? "is not tenant=key"
          : !tenant.matches("[A-Za-z0-9_.-]{1,64}") ? "tenant '" + tenant + "' must be 1-64 letters, digits, '.', '-', '_'"
          : key.length() < 16 ? "the key of tenant '" + tenant + "' must be at least 16 characters"
          : !seen.add(key) ? "the key of tenant '" + tenant + "' is used twice"
          : keys.containsKey(tenant) ? "tenant '" + tenant + "' has two keys" : null;
      if (problem != null) {
        throw new IllegalStateException("config-service configuration is invalid:\n  PARLEY_TENANT_KEYS: "
            + (eq < 0 ? "'" + pair + "' " : "") + problem);
      }
      keys.put(tenant, key);
    }
    return java.util.Map.copyOf(keys);
  }
}
