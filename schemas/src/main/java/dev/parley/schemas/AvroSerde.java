package dev.parley.schemas;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for generated Avro records in Avro's single-object encoding: two marker bytes
 * {@code C3 01}, the writer schema's 8-byte CRC-64-AVRO fingerprint, then the binary body.
 *
 * <p>The decoder knows the current schema and every released version listed by {@link SchemaHistory},
 * so a consumer reads records written by older producers. Bytes with an unknown fingerprint or a
 * bad header fail with a {@link SerializationException} that says which, so the caller can
 * dead-letter the record.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
  private static final Map<Class<?>, AvroSerde<?>> CACHE = new ConcurrentHashMap<>();

  static {
    // Avro 1.12 decodes only into trusted classes; trust our generated events in every JVM that uses
    // this serde (services, tools, tests), not only in those started with -Dorg.apache.avro.SERIALIZABLE_PACKAGES.
    org.apache.avro.util.ClassSecurityValidator.setGlobal(org.apache.avro.util.ClassSecurityValidator.composite(
        org.apache.avro.util.ClassSecurityValidator.getGlobal(),
        type -> type.getName().startsWith("dev.parley.events.")));
  }

  private final Class<T> type;
  private final Schema schema;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private AvroSerde(Class<T> type) {
    SpecificData model = SpecificData.getForClass(type);
    this.type = type;
    this.schema = model.getSchema(type);
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema);
    SchemaHistory.versions(schema.getFullName()).forEach(decoder::addSchema);
  }

  /** The serde of {@code type}; one instance per class. */
  @SuppressWarnings("unchecked")
  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
    return (AvroSerde<T>) CACHE.computeIfAbsent(type, t -> new AvroSerde<>(type));
  }

  /** The current (reader and writer) schema. */
  public Schema schema() {
    return schema;
  }

  /** Encodes one record; null stays null (a tombstone). */
  public byte[] encode(T record) {
    if (record == null) {
      return null;
    }
    try {
      ByteBuffer buffer = encoder.encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /** Decodes one record written with the current or any released schema version; null stays null. */
  public T decode(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    try {
      return decoder.decode(bytes);
    } catch (MissingSchemaException e) {
      throw new SerializationException(type.getSimpleName() + ": written with an unknown schema version ("
          + e.getMessage() + ")", e);
    } catch (BadHeaderException e) {
      throw new SerializationException(type.getSimpleName() + ": not Avro single-object encoded ("
          + e.getMessage() + ")", e);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(type.getSimpleName() + ": corrupt record body ("
          + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
    }
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, data) -> encode(data);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> decode(data);
  }
}
