package dev.parley.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.schemas.SampleEvents;
import dev.parley.schemas.Topic;
import dev.parley.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.util.FutureCallback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Kafka Connect worker (standalone, in this JVM) reads every Parley topic through {@link ParleyConverter} and
 * hands its sink connector typed structs: one record of each event type, written with the services' own serdes, and a
 * record that is not Avro at all, which the worker's error handling skips (errors.tolerance=all) while the rest flow.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ConnectReadsEveryTopicIT {

  @Test
  void aSinkConnectorGetsEveryTopicsEventsAsStructs(TestKafka kafka, @TempDir Path dir) throws Exception {
    String session = "s-" + UUID.randomUUID();
    Topic<String, ?> agentTopic = Topics.agent("connect-agent-v1");
    Topic<byte[], ?> deadLetters = Topics.deadLetters(Topics.USER_TURNS);
    try (Admin admin = kafka.admin()) {
      SampleEvents.createEveryTopic(admin, agentTopic, deadLetters);
    }
    Map<Topic<?, ?>, Object> sent = new LinkedHashMap<>();
    sent.put(Topics.SESSIONS, SampleEvents.sessionEvents(session)[0]);
    sent.put(Topics.USER_TURNS, SampleEvents.userEvents(session)[2]);
    sent.put(Topics.ROUTING_DECISIONS, SampleEvents.routingDecision(session));
    sent.put(agentTopic, SampleEvents.routedEvent(session));
    sent.put(Topics.AGENT_REPLIES, SampleEvents.agentReplies(session)[1]);
    sent.put(Topics.PLAYBACK, SampleEvents.playback(session));
    sent.put(Topics.SESSION_SUMMARIES, SampleEvents.summary(session));
    sent.put(Topics.VOICE_POSITIONS, SampleEvents.voicePosition(session));
    sent.put(Topics.LISTENERS, SampleEvents.listener(session));
    sent.put(Topics.AGENT_CONFIGS, SampleEvents.agentConfig("connect-" + session.substring(2, 10)));
    sent.put(Topics.AGENT_CONFIG_VERSIONS, SampleEvents.agentConfig("connect-" + session.substring(2, 10)));
    sent.put(Topics.ROUTING_RULES, SampleEvents.routingRules("tenant-" + session));
    sent.put(deadLetters, SampleEvents.deadLetter(session));
    sent.put(Topics.TOOL_CALLS, SampleEvents.toolCall(session));
    sent.put(Topics.TOOL_RESULTS, SampleEvents.toolResult(session));
    sent.put(Topics.HANDOFFS, SampleEvents.handoff(session));
    sent.put(Topics.ESCALATIONS, dev.parley.events.Escalation.newBuilder().setSessionId(session)
        .setTurnId(session + "-t0").setAgentId("support-agent-v1").setConfigVersion(3).setField("escalation_needed")
        .setUserTranscript("I want a person").setSystemResponse("I'll get someone for you.")
        .setStructuredFields("{\"escalation_needed\":true}").setCreatedAt(java.time.Instant.now()).build());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.clientConfig(), new ByteArraySerializer(),
        new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(Topics.USER_TURNS.name(), session.getBytes(), "not avro".getBytes())).get();
      for (Map.Entry<Topic<?, ?>, Object> entry : sent.entrySet()) {
        producer.send(new ProducerRecord<>(entry.getKey().name(), session.getBytes(), encode(entry.getKey(),
            entry.getValue()))).get();
      }
    }

    Map<String, String> worker = new HashMap<>();
    worker.put("bootstrap.servers", kafka.bootstrapServers());
    worker.put("offset.storage.file.filename", dir.resolve("offsets").toString());
    worker.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
    worker.put("value.converter", ParleyConverter.class.getName());
    worker.put("listeners", "http://127.0.0.1:0");
    worker.put("plugin.discovery", "service_load");
    Connect<StandaloneHerder> connect = new ConnectStandalone().startConnect(worker);
    try {
      Map<String, String> sink = new HashMap<>();
      sink.put("name", "parley-sink");
      sink.put("connector.class", CollectingSink.class.getName());
      sink.put("topics", String.join(",", sent.keySet().stream().map(Topic::name).toList()));
      sink.put("consumer.override.auto.offset.reset", "earliest");
      sink.put("errors.tolerance", "all");
      sink.put("errors.log.enable", "true");
      FutureCallback<StandaloneHerder.Created<org.apache.kafka.connect.runtime.rest.entities.ConnectorInfo>> created =
          new FutureCallback<>();
      connect.herder().putConnectorConfig("parley-sink", sink, false, created);
      created.get(30, TimeUnit.SECONDS);

      await("a record of every topic at the sink").atMost(Duration.ofSeconds(60))
          .failFast("the connector or its task failed", () -> failed(connect))
          .untilAsserted(() -> assertThat(received(session).keySet()).as("topics whose record reached the sink")
              .containsAll(sent.keySet().stream().map(Topic::name).toList()));
      Map<String, SinkRecord> byTopic = received(session);
      for (Map.Entry<Topic<?, ?>, Object> entry : sent.entrySet()) {
        SinkRecord record = byTopic.get(entry.getKey().name());
        assertThat(record.valueSchema().name()).as(entry.getKey().name())
            .isEqualTo(((org.apache.avro.specific.SpecificRecord) entry.getValue()).getSchema().getFullName());
        assertThat(record.value()).isInstanceOf(Struct.class);
        ((Struct) record.value()).validate();
        assertThat(record.key()).isEqualTo(session);
      }
      Struct turn = ((Struct) byTopic.get(Topics.USER_TURNS.name()).value()).getStruct("event").getStruct("UserTurn");
      assertThat(turn.getString("transcript")).isEqualTo("My account login isn't working");
      assertThat(((Struct) byTopic.get(Topics.ROUTING_DECISIONS.name()).value()).getString("strategy"))
          .isEqualTo("PURPOSE");
      assertThat(CollectingSink.RECEIVED).as("the record that is not Avro was skipped, and the turn after it read")
          .filteredOn(r -> r.topic().equals(Topics.USER_TURNS.name()) && session.equals(r.key())).singleElement()
          .satisfies(r -> assertThat(r.value()).isInstanceOf(Struct.class));
    } finally {
      connect.stop();
    }
  }

  private static boolean failed(Connect<StandaloneHerder> connect) {
    var status = connect.herder().connectorStatus("parley-sink");
    return status.connector().state().equals("FAILED")
        || status.tasks().stream().anyMatch(t -> t.state().equals("FAILED"));
  }

  private static Map<String, SinkRecord> received(String session) {
    Map<String, SinkRecord> byTopic = new HashMap<>();
    for (SinkRecord record : CollectingSink.RECEIVED) {
      if (session.equals(record.key())) {
        byTopic.putIfAbsent(record.topic(), record);
      }
    }
    return byTopic;
  }

  @SuppressWarnings("unchecked")
  private static <V> byte[] encode(Topic<?, V> topic, Object value) {
    return topic.valueSerde().serializer().serialize(topic.name(), (V) value);
  }
}
