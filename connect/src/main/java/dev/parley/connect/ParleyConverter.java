package dev.parley.connect;

import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.storage.Converter;

/**
 * Kafka Connect value converter for Parley's topics: {@code value.converter=dev.parley.connect.ParleyConverter}. It
 * reads the registry-free Avro single-object encoding every service writes, with the current schema and every released
 * version inside this jar, and hands sink connectors typed structs ({@link ConnectData} says how each Avro type maps).
 * The topic name says which event type a record holds: the catalogue's topics, every {@code parley.agent.<id>.v1} and
 * every {@code .dlt} dead-letter topic. A record it cannot read fails with a {@link DataException} naming the topic and
 * why, so the connector's {@code errors.tolerance} and dead-letter settings decide what happens to it.
 *
 * <p>Reading only: Parley's topics are written by Parley's services, so writing records back is refused.
 */
public final class ParleyConverter implements Converter {
  private final ConnectData data = new ConnectData();
  private boolean isKey;

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.isKey = isKey;
  }

  @Override
  public SchemaAndValue toConnectData(String topic, byte[] value) {
    if (isKey) {
      throw new DataException("ParleyConverter reads record values; Parley's keys are plain strings (session or agent"
          + " ids): use org.apache.kafka.connect.storage.StringConverter as key.converter");
    }
    AvroSerde<?> serde = Topics.valueSerdeOf(topic).orElseThrow(() -> new DataException("topic '" + topic
        + "' is not one of Parley's (the catalogue's topics, parley.agent.<id>.v1, <topic>.dlt)"));
    if (value == null) {
      return SchemaAndValue.NULL; // a tombstone on a compacted topic
    }
    SpecificRecord record;
    try {
      record = serde.decode(value);
    } catch (SerializationException e) {
      throw new DataException(topic + ": " + e.getMessage(), e);
    }
    Schema schema = data.schema(serde.schema());
    return new SchemaAndValue(schema, data.value(serde.schema(), schema, record));
  }

  @Override
  public byte[] fromConnectData(String topic, Schema schema, Object value) {
    throw new DataException("ParleyConverter only reads: Parley's topics are written by Parley's services");
  }
}
