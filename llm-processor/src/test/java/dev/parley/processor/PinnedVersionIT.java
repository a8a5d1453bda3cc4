package dev.parley.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentTurn;
import dev.parley.events.ConfigStatus;
import dev.parley.events.RoutedEvent;
import dev.parley.events.SessionStarted;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A session pinned to version 1 keeps it in a processor that starts after version 2 replaced version 1 on the
 * compacted current-config topic: version 1 is only on the versions topic here (as after compaction), and the
 * session's greeting and schema are still version 1's.
 */
@ExtendWith(KafkaBrokerExtension.class)
class PinnedVersionIT {

  @Test
  void aProcessorStartedAfterAnUpdateAnswersAPinnedSessionWithItsOwnVersion(TestKafka kafka) throws Exception {
    String run = "pin" + UUID.randomUUID().toString().substring(0, 6);
    String agent = run + "-support";
    try (Admin admin = kafka.admin()) {
      new TopicProvisioner(admin, (short) 1).ensure(List.of(Topics.AGENT_REPLIES, Topics.AGENT_CONFIGS,
          Topics.AGENT_CONFIG_VERSIONS, Topics.agent(agent)));
    }
    try (var producer = new KafkaProducer<>(kafka.clientConfig(), Serdes.String().serializer(),
        Topics.AGENT_CONFIGS.valueSerde().serializer())) {
      AgentConfigSnapshot v1 = snapshot(agent, 1, "Hello, this is version one.", "pinned_v1");
      AgentConfigSnapshot v2 = snapshot(agent, 2, "Hello, this is version two.", "pinned_v2");
      // version 1 survives only among the versions: the current-config topic has been compacted to version 2
      producer.send(new ProducerRecord<>(Topics.AGENT_CONFIG_VERSIONS.name(), Topics.configVersionKey(agent, 1), v1))
          .get();
      producer.send(new ProducerRecord<>(Topics.AGENT_CONFIG_VERSIONS.name(), Topics.configVersionKey(agent, 2), v2))
          .get();
      producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), agent, v2)).get();
    }
    Map<String, String> env = new HashMap<>(Map.of("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
        "PARLEY_AGENTS", agent, "OPENAI_API_KEY", "unused-greetings-need-no-model"));
    String old = run + "-old";
    String fresh = run + "-new";
    try (JavaProcess processor = JavaProcess.start("llm-processor", ProcessorMain.class.getName(), env,
        Path.of("target", "it-logs", run, "processor.log")).awaitLog("took over partitions", Duration.ofSeconds(60));
        var producer = new KafkaProducer<>(kafka.clientConfig(), Serdes.String().serializer(),
            Serdes.ByteArray().serializer())) {
      for (String[] session : List.of(new String[] {old, "1"}, new String[] {fresh, "2"})) {
        RoutedEvent routed = RoutedEvent.newBuilder().setSessionId(session[0]).setAgentId(agent)
            .setConfigVersion(Integer.parseInt(session[1])).setRoutedAt(Instant.now())
            .setEvent(SessionStarted.newBuilder().setSessionId(session[0]).setRoomName(session[0])
                .setParticipantIdentity("caller").setStartedAt(Instant.now()).build()).build();
        producer.send(new ProducerRecord<>(Topics.agent(agent).name(), session[0],
            AvroSerde.of(RoutedEvent.class).encode(routed))).get();
      }
      Map<String, AgentTurn> greetings = new HashMap<>();
      try (var consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
          ConsumerConfig.GROUP_ID_CONFIG, "verify-" + run, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
          Serdes.String().deserializer(), Serdes.ByteArray().deserializer())) {
        consumer.subscribe(List.of(Topics.AGENT_REPLIES.name()));
        await().atMost(Duration.ofSeconds(60)).until(() -> {
          for (var record : consumer.poll(Duration.ofMillis(200))) {
            if (record.key() != null && record.key().startsWith(run)) {
              AgentReply reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(null, record.value());
              if (reply.getEvent() instanceof AgentTurn turn) {
                greetings.put(record.key(), turn);
              }
            }
          }
          return greetings.size() == 2;
        });
      }
      assertThat(greetings.get(old).getSystemResponse()).isEqualTo("Hello, this is version one.");
      assertThat(greetings.get(old).getSchemaId()).isEqualTo("pinned_v1");
      assertThat(greetings.get(old).getFallbackReason()).as("no fallback to the newest version").isNull();
      assertThat(greetings.get(fresh).getSystemResponse()).isEqualTo("Hello, this is version two.");
      assertThat(greetings.get(fresh).getSchemaId()).isEqualTo("pinned_v2");
    }
  }

  private static AgentConfigSnapshot snapshot(String agent, int version, String greeting, String schemaId) {
    ObjectNode json = AgentConfigJson.tree(SeedAgents.all().get(0).withDefaults());
    json.put("agent_id", agent).put("version", version).put("status", "active");
    json.with("prompt_config").put("greeting", greeting);
    json.with("schema_config").put("schema_id", schemaId);
    json.with("llm_config").put("provider", "openai-compatible").put("base_url", "http://127.0.0.1:9/v1")
        .put("model", "none");
    return AgentConfigSnapshot.newBuilder().setAgentId(agent).setTenantId("it").setVersion(version)
        .setStatus(ConfigStatus.ACTIVE).setConfigJson(json.toString()).setUpdatedAt(Instant.now()).build();
  }
}
