package dev.parley.kit;

import dev.parley.events.DeadLetter;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Builds the dead-letter record for a record a stage could not process. */
public final class DeadLetters {
  static final int MAX_MESSAGE_CHARS = 2000;

  private DeadLetters() {}

  /**
   * The record to send to {@code <originTopic>.dlt}: the failed record's raw key and value, its
   * origin coordinates, the stage and the error (message truncated to 2,000 characters).
   */
  public static ProducerRecord<byte[], byte[]> of(String originTopic, int partition, long offset, long timestamp,
      byte[] key, byte[] value, String stage, Throwable error) {
    DeadLetter letter = DeadLetter.newBuilder()
        .setOriginTopic(originTopic)
        .setOriginPartition(partition)
        .setOriginOffset(offset)
        .setOriginTimestamp(Instant.ofEpochMilli(Math.max(0, timestamp)))
        .setKey(key == null ? null : ByteBuffer.wrap(key))
        .setValue(value == null ? null : ByteBuffer.wrap(value))
        .setStage(stage)
        .setErrorClass(error.getClass().getName())
        .setErrorMessage(describe(error))
        .setFailedAt(Instant.now())
        .build();
    String topic = Topics.deadLetters(originTopic, 1).name();
    return new ProducerRecord<>(topic, null, key, AvroSerde.of(DeadLetter.class).encode(letter));
  }

  /** The error and its causes in one line, bounded. */
  static String describe(Throwable error) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = error; t != null && text.length() < MAX_MESSAGE_CHARS; t = t.getCause()) {
      if (text.length() > 0) {
        text.append(" <- caused by ");
      }
      text.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
      if (t.getCause() == t) {
        break;
      }
    }
    return text.length() > MAX_MESSAGE_CHARS ? text.substring(0, MAX_MESSAGE_CHARS) + "..." : text.toString();
  }
}
