package dev.parley.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every event type goes through the real broker with the catalogue's serdes and comes back equal. */
@ExtendWith(KafkaBrokerExtension.class)
class EveryEventRoundTripIT {

  @Test
  void everyEventTypeSurvivesTheBrokerUnchanged(TestKafka kafka) throws Exception {
    String session = "s-" + UUID.randomUUID();
    Topic<String, ?> agentTopic = Topics.agent("support-agent-v1");
    Topic<byte[], ?> deadLetters = Topics.deadLetters(Topics.USER_TURNS);
    try (Admin admin = kafka.admin()) {
      SampleEvents.createEveryTopic(admin, agentTopic, deadLetters);
    }

    Map<Topic<?, ?>, List<Object>> sent = new HashMap<>();
    sent.put(Topics.SESSIONS, List.of((Object[]) SampleEvents.sessionEvents(session)));
    sent.put(Topics.USER_TURNS, List.of((Object[]) SampleEvents.userEvents(session)));
    sent.put(Topics.ROUTING_DECISIONS, List.of(SampleEvents.routingDecision(session)));
    sent.put(agentTopic, List.of(SampleEvents.routedEvent(session)));
    sent.put(Topics.AGENT_REPLIES, List.of((Object[]) SampleEvents.agentReplies(session)));
    sent.put(Topics.PLAYBACK, List.of(SampleEvents.playback(session)));
    sent.put(Topics.SESSION_SUMMARIES, List.of(SampleEvents.summary(session)));
    sent.put(Topics.VOICE_POSITIONS, List.of(SampleEvents.voicePosition(session)));
    sent.put(Topics.LISTENERS, List.of(SampleEvents.listener(session)));
    sent.put(Topics.AGENT_CONFIGS, List.of(SampleEvents.agentConfig("agent-" + session.substring(2, 10))));
    sent.put(Topics.ROUTING_RULES, List.of(SampleEvents.routingRules("tenant-" + session)));
    sent.put(deadLetters, List.of(SampleEvents.deadLetter(session)));
    sent.put(Topics.TOOL_CALLS, List.of(SampleEvents.toolCall(session)));
    sent.put(Topics.TOOL_RESULTS, List.of(SampleEvents.toolResult(session)));
    sent.put(Topics.HANDOFFS, List.of(SampleEvents.handoff(session)));

    for (Map.Entry<Topic<?, ?>, List<Object>> entry : sent.entrySet()) {
      assertThat(roundTrip(kafka, entry.getKey(), session, entry.getValue()))
          .as("records read back from %s", entry.getKey().name())
          .containsExactlyElementsOf(entry.getValue());
    }
  }

  @SuppressWarnings("unchecked")
  private static <K, V> List<Object> roundTrip(TestKafka kafka, Topic<K, V> topic, String session, List<Object> values)
      throws Exception {
    K key = topic.keySerde().deserializer().deserialize(topic.name(),
        topic.keySerde() instanceof org.apache.kafka.common.serialization.Serdes.ByteArraySerde
            ? session.getBytes() : org.apache.kafka.common.serialization.Serdes.String().serializer()
            .serialize(topic.name(), session));
    Map<String, Object> producerConfig = kafka.clientConfig();
    producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    try (KafkaProducer<K, V> producer = new KafkaProducer<>(producerConfig, topic.keySerde().serializer(),
        topic.valueSerde().serializer())) {
      List<Long> offsets = new ArrayList<>();
      int partition = -1;
      for (Object value : values) {
        var metadata = producer.send(new ProducerRecord<>(topic.name(), key, (V) value)).get();
        offsets.add(metadata.offset());
        partition = metadata.partition();
      }
      Map<String, Object> consumerConfig = kafka.clientConfig();
      consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(consumerConfig, topic.keySerde().deserializer(),
          topic.valueSerde().deserializer())) {
        TopicPartition tp = new TopicPartition(topic.name(), partition);
        consumer.assign(List.of(tp));
        consumer.seek(tp, offsets.get(0));
        List<Object> read = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 15_000;
        while (read.size() < values.size() && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<K, V> record : consumer.poll(Duration.ofMillis(200))) {
            if (record.offset() <= offsets.get(offsets.size() - 1)) {
              read.add(record.value());
            }
          }
        }
        return read;
      }
    }
  }
}
