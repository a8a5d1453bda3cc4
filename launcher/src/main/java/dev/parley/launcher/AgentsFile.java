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
import dev.parley.events.RoutingRulesSnapshot;
import dev.parley.routing.RoutingRules;
import dev.parley.schemas.Topics;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
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
 * config or a list ({@code agents: [...]} or a top-level list), and, beside {@code agents:}, optional
 * {@code routing:} rules in the Admin API's rules format. The stack then serves exactly the file's
 * agents: any other agent on the config topic is archived, other rules sets are removed.
 */
final class AgentsFile {
  /** The agents, and the rules that route among them (the file's own, or made from the agent ids). */
  record Contents(List<AgentConfig> agents, RoutingRules rules, boolean rulesFromFile) {}

  /** Trailing content (say, a list item indented less than the others) is an error, not silently dropped. */
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private AgentsFile() {}

  /** Every config in the file, with defaults filled in; all problems at once, each naming agent and field. */
  static List<AgentConfig> load(Path file) {
    return read(file).agents();
  }

  /** The file's agents and routing rules; all problems at once, each naming agent (or rule) and field. */
  static Contents read(Path file) {
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
    RoutingRules rules = null;
    JsonNode routing = root.isObject() && root.has("agents") ? root.get("routing") : null;
    if (routing != null && !routing.isNull()) {
      try {
        rules = RoutingRules.fromJson(routing.toString());
        List<String> errors = new ArrayList<>(rules.validate());
        Set<String> known = new HashSet<>();
        configs.forEach(c -> known.add(c.agentId()));
        rules.agentReferences().forEach((field, agent) -> {
          if (!known.contains(agent)) {
            errors.add(field + ": '" + agent + "' is not an agent in this file");
          }
        });
        errors.forEach(error -> problems.add(file.getFileName() + " routing." + error));
      } catch (IllegalArgumentException e) {
        problems.add(file.getFileName() + " routing: " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid agents file:\n  " + String.join("\n  ", problems));
    }
    return rules != null ? new Contents(configs, rules.withVersion(1), true)
        : new Contents(configs, rulesFor(configs), false);
  }

  /**
   * Rules for a file without its own: the first agent is the default, and each agent takes the purpose named
   * by the first word of its id ({@code support-agent-v1} → {@code support}) unless an earlier agent has it.
   */
  static RoutingRules rulesFor(List<AgentConfig> agents) {
    Map<String, String> purposes = new java.util.LinkedHashMap<>();
    for (AgentConfig agent : agents) {
      String word = agent.agentId().split("[-_.]")[0].toLowerCase(java.util.Locale.ROOT);
      if (!word.isBlank()) {
        purposes.putIfAbsent(word, agent.agentId());
      }
    }
    return new RoutingRules(1, agents.get(0).agentId(), purposes, List.of(), List.of());
  }

  /** What {@link #publish} changed on the topics. */
  record Published(List<String> served, List<String> archived, List<String> rulesRemoved) {}

  /**
   * Publishes the file's configs as the current snapshots (a version above any earlier one of the same id)
   * and its rules as the default rules; archives every other agent on the config topic and removes every
   * other rules set, so that the pipeline serves the file's agents and nothing else.
   */
  static Published publish(Contents contents, String bootstrapServers) throws Exception {
    Map<String, AgentConfigSnapshot> earlier = new java.util.HashMap<>();
    dev.parley.kit.TopicWindow.read(bootstrapServers, Topics.AGENT_CONFIGS.name(), null, Duration.ofDays(36_500),
        Duration.ofSeconds(30), record -> {
          if (record.key() == null) {
            return;
          }
          if (record.value() == null) {
            earlier.remove(record.key());
            return;
          }
          try {
            earlier.put(record.key(), Topics.AGENT_CONFIGS.valueSerde().deserializer().deserialize(null,
                record.value()));
          } catch (RuntimeException unreadable) {
            // not a snapshot: leave it
          }
        });
    Map<String, Integer> rulesVersions = new java.util.HashMap<>();
    dev.parley.kit.TopicWindow.read(bootstrapServers, Topics.ROUTING_RULES.name(), null, Duration.ofDays(36_500),
        Duration.ofSeconds(30), record -> {
          if (record.key() != null && record.value() != null) {
            try {
              rulesVersions.put(record.key(), Topics.ROUTING_RULES.valueSerde().deserializer().deserialize(null,
                  record.value()).getVersion());
            } catch (RuntimeException unreadable) {
              rulesVersions.put(record.key(), 0);
            }
          } else if (record.key() != null) {
            rulesVersions.remove(record.key());
          }
        });
    List<String> served = new ArrayList<>();
    List<String> archived = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      for (AgentConfig config : contents.agents()) {
        AgentConfigSnapshot before = earlier.remove(config.agentId());
        int version = before == null ? 1 : before.getVersion() + 1;
        AgentConfig current = config.withServerFields(version, AgentConfig.ACTIVE, Instant.now(), Instant.now());
        send(producer, AgentConfigSnapshot.newBuilder().setAgentId(current.agentId())
            .setTenantId(current.tenantId()).setVersion(version).setStatus(ConfigStatus.ACTIVE)
            .setConfigJson(AgentConfigJson.write(current)).setUpdatedAt(Instant.now()).build());
        served.add(current.agentId() + " v" + version);
      }
      for (AgentConfigSnapshot other : earlier.values()) {
        if (other.getStatus() != ConfigStatus.ARCHIVED) {
          String json = other.getConfigJson();
          try {
            var tree = (com.fasterxml.jackson.databind.node.ObjectNode) AgentConfigJson.MAPPER.readTree(json);
            json = tree.put("status", AgentConfig.ARCHIVED).put("version", other.getVersion() + 1).toString();
          } catch (IOException | ClassCastException unreadable) {
            // the snapshot's own status still archives it for the router
          }
          send(producer, AgentConfigSnapshot.newBuilder(other).setVersion(other.getVersion() + 1)
              .setStatus(ConfigStatus.ARCHIVED).setConfigJson(json).setUpdatedAt(Instant.now()).build());
          archived.add(other.getAgentId());
        }
      }
      for (String rulesId : rulesVersions.keySet()) {
        if (!rulesId.equals(DEFAULT_RULES)) {
          producer.send(new ProducerRecord<>(Topics.ROUTING_RULES.name(), rulesId, null)).get(15, TimeUnit.SECONDS);
          removed.add(rulesId);
        }
      }
      RoutingRules rules = contents.rules().withVersion(rulesVersions.getOrDefault(DEFAULT_RULES, 0) + 1);
      producer.send(new ProducerRecord<>(Topics.ROUTING_RULES.name(), DEFAULT_RULES,
          Topics.ROUTING_RULES.valueSerde().serializer().serialize(null, RoutingRulesSnapshot.newBuilder()
              .setRulesId(DEFAULT_RULES).setVersion(rules.version()).setRulesJson(rules.toJson())
              .setUpdatedAt(Instant.now()).build()))).get(15, TimeUnit.SECONDS);
    }
    return new Published(served, archived, removed);
  }

  private static final String DEFAULT_RULES = "default";

  private static void send(KafkaProducer<String, byte[]> producer, AgentConfigSnapshot snapshot) throws Exception {
    for (ProducerRecord<String, byte[]> record : Topics.agentConfigRecords(snapshot)) {
      producer.send(record).get(15, TimeUnit.SECONDS);
    }
  }
}
