package dev.parley.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.AgentConfigValidator;
import dev.parley.agentconfig.FieldError;
import dev.parley.agentconfig.InvalidConfigException;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.schemas.Topics;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The "no database" mode: agents from a YAML (or JSON) file in the Admin API's config format,
 * validated the same way, published straight to {@code parley.agent-configs.v1}. The file holds one
 * config or a list ({@code agents: [...]} or a top-level list).
 */
final class AgentsFile {
  /** Trailing content (say, a list item indented less than the others) is an error, not silently dropped. */
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private AgentsFile() {}

  /** Every config in the file, with defaults filled in; all problems at once, each naming agent and field. */
  static List<AgentConfig> load(Path file) {
    JsonNode root;
    try {
      root = YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
    }
    JsonNode list = root == null ? null : root.isArray() ? root : root.has("agents") ? root.get("agents") : null;
    List<JsonNode> entries = new ArrayList<>();
    if (list != null && list.isArray()) {
      list.forEach(entries::add);
    } else if (root != null && root.isObject()) {
      entries.add(root);
    }
    if (entries.isEmpty()) {
      throw new IllegalArgumentException(file + ": no agent configs (expected a config, a list, or agents: [...])");
    }
    List<AgentConfig> configs = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      String where = file.getFileName() + " agent " + (i + 1);
      try {
        AgentConfig config = AgentConfigJson.fromTree(entries.get(i)).withDefaults();
        where = file.getFileName() + " agent '" + config.agentId() + "'";
        List<FieldError> errors = AgentConfigValidator.validate(config);
        if (!errors.isEmpty()) {
          throw new InvalidConfigException(errors);
        }
        if (!ids.add(config.agentId())) {
          throw new InvalidConfigException(new FieldError("agent_id", "'" + config.agentId() + "' is used twice"));
        }
        configs.add(config.withServerFields(1, AgentConfig.ACTIVE, Instant.now(), Instant.now()));
      } catch (InvalidConfigException e) {
        for (FieldError error : e.errors()) {
          problems.add(where + ": " + error);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid agents file:\n  " + String.join("\n  ", problems));
    }
    return configs;
  }

  /** Publishes the configs as the current snapshots; the pipeline reads them like config-service's. */
  static void publish(List<AgentConfig> configs, String bootstrapServers) throws Exception {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      for (AgentConfig config : configs) {
        AgentConfigSnapshot snapshot = AgentConfigSnapshot.newBuilder().setAgentId(config.agentId())
            .setTenantId(config.tenantId()).setVersion(config.version()).setStatus(ConfigStatus.ACTIVE)
            .setConfigJson(AgentConfigJson.write(config)).setUpdatedAt(Instant.now()).build();
        producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), config.agentId(),
            Topics.AGENT_CONFIGS.valueSerde().serializer().serialize(null, snapshot))).get(15, TimeUnit.SECONDS);
      }
    }
  }
}
