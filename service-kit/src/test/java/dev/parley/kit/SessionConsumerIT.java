package dev.parley.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parley.events.DeadLetter;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The consumer runtime every session-keyed stage runs, against a real broker. */
@ExtendWith(KafkaBrokerExtension.class)
class SessionConsumerIT {

  /** A stage that handles records on the poll thread, fails on "bad", and leaves "hold" unfinished. */
  private static final class Recording implements SessionConsumer.Stage {
    final List<String> handled = new CopyOnWriteArrayList<>();
    final List<String> events = new CopyOnWriteArrayList<>();
    final Map<TopicPartition, Long> unfinished = new HashMap<>();

    @Override
    public void accept(ConsumerRecord<String, byte[]> record, long polledAtMs) {
      String value = new String(record.value(), StandardCharsets.UTF_8);
      if (value.equals("bad")) {
        throw new IllegalArgumentException("unreadable value '" + value + "'");
      }
      if (value.equals("hold")) {
        unfinished.putIfAbsent(new TopicPartition(record.topic(), record.partition()), record.offset());
      }
      handled.add(value);
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> partitions,
        SessionConsumer.Control control) {
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      for (TopicPartition partition : partitions) {
        long position = control.position(partition);
        offsets.put(partition, new OffsetAndMetadata(Math.min(position, unfinished.getOrDefault(partition, position))));
      }
      return offsets;
    }

    @Override
    public void leaving(Collection<TopicPartition> partitions, boolean stopping) {
      events.add((stopping ? "stopping " : "leaving ") + partitions.size());
    }

    @Override
    public void left(Collection<TopicPartition> partitions) {
      events.add("left " + partitions.size());
    }

    @Override
    public void assigned(Collection<TopicPartition> partitions, SessionConsumer.Control control) {
      if (!partitions.isEmpty()) {
        events.add("assigned " + partitions.size());
      }
    }
  }

  private static Topic<String, byte[]> topic(TestKafka kafka, int partitions) {
    Topic<String, byte[]> topic = new Topic<>("sc-" + UUID.randomUUID().toString().substring(0, 8), Serdes.String(),
        Serdes.ByteArray(), partitions, Topic.Cleanup.DELETE);
    try (Admin admin = kafka.admin()) {
      new TopicProvisioner(admin, (short) 1).ensure(List.of(topic));
    }
    return topic;
  }

  private static SessionConsumer.Options options(TestKafka kafka, Topic<String, byte[]> topic, String group) {
    return new SessionConsumer.Options(kafka.bootstrapServers(), group, List.of(topic), "earliest", 1500, "",
        Duration.ofMillis(20), 0, "test-stage", (short) 1);
  }

  private static void send(TestKafka kafka, String topic, String key, String... values) {
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientConfig(), new StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      for (String value : values) {
        producer.send(new ProducerRecord<>(topic, key, value.getBytes(StandardCharsets.UTF_8)));
      }
    }
  }

  private static Thread run(SessionConsumer consumer) {
    Thread thread = new Thread(consumer, "session-consumer-test");
    thread.start();
    return thread;
  }

  private static Map<TopicPartition, OffsetAndMetadata> committed(TestKafka kafka, String group) throws Exception {
    try (Admin admin = kafka.admin()) {
      return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    }
  }

  @Test
  void aRecordTheStageCannotHandleGoesToTheDeadLetterTopicAndTheOthersGoOn(TestKafka kafka) throws Exception {
    Topic<String, byte[]> topic = topic(kafka, 1);
    Recording stage = new Recording();
    SessionConsumer consumer = new SessionConsumer(options(kafka, topic, "g-" + topic.name()), stage);
    Thread thread = run(consumer);
    send(kafka, topic.name(), "s1", "a", "bad", "b");

    await().atMost(Duration.ofSeconds(30)).until(() -> stage.handled.equals(List.of("a", "b")));
    Map<String, Object> config = new HashMap<>(kafka.clientConfig());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "dlt-reader-" + topic.name());
    try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      reader.subscribe(List.of(Topics.deadLetters(topic).name()));
      List<DeadLetter> letters = new CopyOnWriteArrayList<>();
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        reader.poll(Duration.ofMillis(200)).forEach(r -> letters.add(AvroSerde.of(DeadLetter.class).decode(r.value())));
        return !letters.isEmpty();
      });
      assertThat(letters).singleElement().satisfies(letter -> {
        assertThat(letter.getOriginTopic()).isEqualTo(topic.name());
        assertThat(letter.getOriginOffset()).isEqualTo(1L);
        assertThat(letter.getStage()).isEqualTo("test-stage");
        assertThat(letter.getErrorMessage()).contains("unreadable value 'bad'");
        assertThat(StandardCharsets.UTF_8.decode(letter.getValue()).toString()).isEqualTo("bad");
        assertThat(StandardCharsets.UTF_8.decode(letter.getKey()).toString()).isEqualTo("s1");
      });
    }

    consumer.close();
    thread.join(30_000);
    assertThat(stage.events).contains("stopping 1", "left 1");
    assertThat(committed(kafka, "g-" + topic.name()).get(new TopicPartition(topic.name(), 0)).offset())
        .as("everything handled or dead-lettered is committed").isEqualTo(3L);
  }

  @Test
  void offsetsGoOnlyAsFarAsTheStageFinishedSoANewMemberReadsTheRestAgain(TestKafka kafka) throws Exception {
    Topic<String, byte[]> topic = topic(kafka, 1);
    String group = "g-" + topic.name();
    Recording first = new Recording();
    SessionConsumer consumer = new SessionConsumer(options(kafka, topic, group), first);
    Thread thread = run(consumer);
    send(kafka, topic.name(), "s1", "one", "hold", "three");
    await().atMost(Duration.ofSeconds(30)).until(() -> first.handled.size() == 3);
    consumer.wakeup(); // stops at once, as a crash-like shutdown does: only what was finished is committed
    thread.join(30_000);
    assertThat(committed(kafka, group).get(new TopicPartition(topic.name(), 0)).offset()).isEqualTo(1L);

    Recording second = new Recording();
    SessionConsumer again = new SessionConsumer(options(kafka, topic, group), second);
    Thread next = run(again);
    await().atMost(Duration.ofSeconds(30)).until(() -> second.handled.size() == 2);
    assertThat(second.handled).as("the unfinished record and what followed it").containsExactly("hold", "three");
    again.wakeup();
    next.join(30_000);
  }

  @Test
  void aSecondMemberTakesPartitionsTheFirstHandsOverAfterCommitting(TestKafka kafka) throws Exception {
    Topic<String, byte[]> topic = topic(kafka, 4);
    String group = "g-" + topic.name();
    Recording first = new Recording();
    SessionConsumer a = new SessionConsumer(options(kafka, topic, group), first);
    Thread threadA = run(a);
    await().atMost(Duration.ofSeconds(30)).until(() -> first.events.contains("assigned 4"));

    Recording second = new Recording();
    SessionConsumer b = new SessionConsumer(options(kafka, topic, group), second);
    Thread threadB = run(b);
    await().atMost(Duration.ofSeconds(30)).until(() -> second.events.stream().anyMatch(e -> e.startsWith("assigned")));
    int moved = Integer.parseInt(second.events.get(0).substring("assigned ".length()));
    assertThat(moved).isBetween(1, 3);
    assertThat(first.events).as("the first member handed over exactly what the second took")
        .containsSubsequence("assigned 4", "leaving " + moved, "left " + moved);

    for (int i = 0; i < 20; i++) {
      send(kafka, topic.name(), "s" + i, "line-" + i);
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> first.handled.size() + second.handled.size() == 20);
    assertThat(first.handled).isNotEmpty();
    assertThat(second.handled).isNotEmpty();
    a.close();
    b.close();
    threadA.join(30_000);
    threadB.join(30_000);
  }
}
