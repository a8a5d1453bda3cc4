package dev.parley.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.RoutingDecision;
import dev.parley.events.RoutingRulesSnapshot;
import dev.parley.events.RoutingStrategy;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.KafkaBroker;
import dev.parley.router.RouterMain;
import dev.parley.routing.RoutingRules;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parley up --agents examples/agents.yaml} after an earlier run left the four seed agents and a
 * tenant's rules on the config topics: the real router then sends every session to the file's agent,
 * whatever purpose or agent id it asks for. Its own broker: file mode archives every other agent.
 */
class AgentsFileIT {

  @Test
  void theFileServesItsAgentsAndNothingAnEarlierRunLeft(@TempDir Path dir) throws Exception {
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0)) {
      String bootstrap = broker.bootstrapServers();
      List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
      SeedAgents.IDS.forEach(id -> topics.add(Topics.agent(id)));
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
        new TopicProvisioner(admin, (short) 1).ensure(topics);
      }
      // an earlier run: the seed agents, the seed rules, and a tenant's own rules that send support to support
      List<AgentConfig> seeds = SeedAgents.all().stream().map(AgentConfig::withDefaults).toList();
      AgentsFile.publish(new AgentsFile.Contents(seeds, RoutingRules.defaults(), true), bootstrap);
      try (var producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
          Serdes.String().serializer(), Topics.ROUTING_RULES.valueSerde().serializer())) {
        producer.send(new ProducerRecord<>(Topics.ROUTING_RULES.name(), "acme", RoutingRulesSnapshot.newBuilder()
            .setRulesId("acme").setVersion(1).setRulesJson(RoutingRules.defaults().toJson())
            .setUpdatedAt(Instant.now()).build())).get();
      }

      AgentsFile.Published published = AgentsFile.publish(AgentsFile.read(Path.of("..", "examples", "agents.yaml")),
          bootstrap);

      assertThat(published.served()).containsExactly("pte-interview-agent-v1 v2");
      assertThat(published.archived()).containsExactlyInAnyOrder("support-agent-v1", "sales-agent-v1",
          "onboarding-agent-v1");
      assertThat(published.rulesRemoved()).containsExactly("acme");

      String run = UUID.randomUUID().toString().substring(0, 8);
      Map<String, String> asks = Map.of(run + "-support", "{\"purpose\":\"support\"}",
          run + "-explicit", "{\"agent_id\":\"support-agent-v1\",\"purpose\":\"sales\"}",
          run + "-interview", "{\"purpose\":\"interview\"}");
      try (JavaProcess router = JavaProcess.start("router-stream", RouterMain.class.getName(),
          Map.of("PARLEY_KAFKA_BOOTSTRAP", bootstrap, "PARLEY_ROUTER_STATE_DIR", dir.resolve("router").toString()),
          dir.resolve("router.log")).awaitLog("-> RUNNING", Duration.ofSeconds(90))) {
        try (var sessions = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
            Serdes.String().serializer(), Topics.SESSIONS.valueSerde().serializer())) {
          for (var ask : asks.entrySet()) {
            sessions.send(new ProducerRecord<>(Topics.SESSIONS.name(), ask.getKey(), new SessionEvent(
                SessionStarted.newBuilder().setSessionId(ask.getKey()).setRoomName(ask.getKey())
                    .setParticipantIdentity("caller").setTenantId("acme").setRoomMetadata(ask.getValue())
                    .setStartedAt(Instant.now()).build()))).get();
          }
        }
        Map<String, RoutingDecision> decisions = new HashMap<>();
        try (var consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG, "verify-" + run, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
            Serdes.String().deserializer(), Topics.ROUTING_DECISIONS.valueSerde().deserializer())) {
          consumer.subscribe(List.of(Topics.ROUTING_DECISIONS.name()));
          await().atMost(Duration.ofSeconds(60)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> decisions.put(r.key(), r.value()));
            return decisions.keySet().containsAll(asks.keySet());
          });
        }
        decisions.forEach((session, decision) -> assertThat(decision.getAgentId())
            .as("agent of %s (%s)", session, decision.getReason()).isEqualTo("pte-interview-agent-v1"));
        assertThat(decisions.get(run + "-support").getStrategy()).isEqualTo(RoutingStrategy.DEFAULT);
        assertThat(decisions.get(run + "-support").getReason()).contains("purpose 'support' has no agent");
        assertThat(decisions.get(run + "-explicit").getReason()).contains("'support-agent-v1', which is archived");
        assertThat(decisions.get(run + "-interview").getStrategy()).isEqualTo(RoutingStrategy.PURPOSE);
        assertThat(decisions.get(run + "-interview").getConfigVersion()).isEqualTo(2);
      }

      AgentsFile.Published again = AgentsFile.publish(AgentsFile.read(Path.of("..", "examples", "agents.yaml")),
          bootstrap);
      assertThat(again.served()).as("each run publishes the next version").containsExactly("pte-interview-agent-v1 v3");
      assertThat(again.archived()).as("archived agents stay archived, once").isEmpty();
    }
  }
}
