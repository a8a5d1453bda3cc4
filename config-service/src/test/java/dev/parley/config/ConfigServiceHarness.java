package dev.parley.config;

import dev.parley.kit.Settings;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.localstack.junit.TestMongo;
import dev.parley.webapi.Api;
import java.util.HashMap;
import java.util.Map;

/** Settings for a config-service under test: a fresh database on the shared servers, a free port. */
final class ConfigServiceHarness {
  private ConfigServiceHarness() {}

  static Map<String, String> env(TestKafka kafka, String mongoUri, String database, int tokensPerMinute) {
    Map<String, String> env = new HashMap<>();
    env.put("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
    env.put("PARLEY_MONGODB_URI", mongoUri);
    env.put("PARLEY_MONGODB_DATABASE", database);
    env.put("PARLEY_CONFIG_PORT", "0");
    env.put("PARLEY_ADMIN_API_KEY", Api.ADMIN_KEY);
    env.put("PARLEY_READONLY_API_KEY", Api.READ_KEY);
    env.put("PARLEY_TOKEN_RATE_PER_MINUTE", String.valueOf(tokensPerMinute));
    env.put("PARLEY_TENANT_KEYS", "acme=" + Api.ACME_KEY);
    return env;
  }

  static ConfigService start(TestKafka kafka, TestMongo mongo, String database, int tokensPerMinute) {
    return ConfigService.start(ConfigServiceConfig.from(new Settings(env(kafka, mongo.uri(), database,
        tokensPerMinute))));
  }
}
