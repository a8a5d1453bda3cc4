package dev.parley.localstack.junit;

import dev.parley.localstack.KafkaBroker;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The broker a test talks to, and small helpers for its clients. */
@SuppressWarnings("deprecation") // CloseableResource: still the contract JUnit 5.14 calls
public final class TestKafka implements ExtensionContext.Store.CloseableResource, AutoCloseable {
  private final String bootstrapServers;
  private final KafkaBroker ownedBroker;

  TestKafka(String bootstrapServers, KafkaBroker ownedBroker) {
    this.bootstrapServers = bootstrapServers;
    this.ownedBroker = ownedBroker;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  /** Base client config: bootstrap servers plus a unique client id. */
  public Map<String, Object> clientConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(CommonClientConfigs.CLIENT_ID_CONFIG, "test-" + UUID.randomUUID());
    return config;
  }

  public Admin admin() {
    return Admin.create(clientConfig());
  }

  @Override
  public void close() {
    if (ownedBroker != null) {
      ownedBroker.close();
    }
  }
}
