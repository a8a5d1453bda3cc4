package dev.parley.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The floor of the pipeline benchmark: a plain consumer that forwards every record of one topic to another,
 * unchanged (same key, value and headers, stamped with the time it was received), standing in for the router or
 * the processor so the same topology's pure Kafka cost can be measured on the same machine. Same client settings
 * as Parley's services: no linger, {@code acks=all}, idempotent, a fetch answered as soon as a record arrives.
 *
 * <pre>PassThrough BOOTSTRAP FROM_TOPIC TO_TOPIC GROUP</pre>
 */
public final class PassThrough {
  /** The wall-clock time (ms) the forwarder received the record, stamped as llm-processor stamps its replies. */
  static final String RECEIVED_AT = dev.parley.schemas.Topics.REPLY_RECEIVED_AT_HEADER;

  public static void main(String[] args) {
    if (args.length != 4) {
      System.err.println("usage: PassThrough BOOTSTRAP FROM_TOPIC TO_TOPIC GROUP");
      System.exit(2);
    }
    String bootstrap = args[0];
    String from = args[1];
    String to = args[2];
    try (var consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, args[3], ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        var producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true), new ByteArraySerializer(), new ByteArraySerializer())) {
      consumer.subscribe(List.of(from));
      System.out.println("PASS_THROUGH_READY " + from + " -> " + to);
      while (true) {
        var records = consumer.poll(Duration.ofMillis(100));
        long received = System.currentTimeMillis();
        for (ConsumerRecord<byte[], byte[]> record : records) {
          ProducerRecord<byte[], byte[]> out = new ProducerRecord<>(to, null, record.key(), record.value(),
              record.headers());
          out.headers().remove(RECEIVED_AT);
          out.headers().add(RECEIVED_AT, Long.toString(received).getBytes(StandardCharsets.UTF_8));
          producer.send(out);
        }
        if (!records.isEmpty()) {
          consumer.commitAsync();
        }
      }
    }
  }
}
