package dev.parley.router;

import dev.parley.kit.DeadLetters;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Records that cannot be read or routed go to {@code <topic>.dlt} with their origin; the partition keeps flowing. */
final class DeadLetterHandlers {
  static final String STAGE = "router-stream";
  private static final Logger log = LoggerFactory.getLogger(DeadLetterHandlers.class);

  private DeadLetterHandlers() {}

  /** Bytes that are not a valid event. */
  public static final class Deserialization implements DeserializationExceptionHandler {
    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception e) {
      log.warn("dead-lettering {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
      return Response.resume(List.of(DeadLetters.of(record.topic(), record.partition(), record.offset(),
          record.timestamp(), record.key(), record.value(), STAGE, e)));
    }

    @Override
    public void configure(Map<String, ?> configs) {}
  }

  /** A valid event the router refused (no session key, no value). */
  public static final class Processing implements ProcessingExceptionHandler {
    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception e) {
      log.warn("dead-lettering {}-{}@{}: {}", context.topic(), context.partition(), context.offset(), e.getMessage());
      return Response.resume(List.of(DeadLetters.of(context.topic(), context.partition(), context.offset(),
          context.timestamp(), context.sourceRawKey(), context.sourceRawValue(), STAGE, e)));
    }

    @Override
    public void configure(Map<String, ?> configs) {}
  }
}
