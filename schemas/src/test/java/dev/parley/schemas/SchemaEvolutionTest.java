package dev.parley.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.events.UserEvent;
import dev.parley.events.UserTurn;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class SchemaEvolutionTest {

  @Test
  void everyTopicSchemaIsFullyCompatibleWithEveryReleasedVersion() {
    Map<String, Schema> current = SchemaRelease.topicValueSchemas();
    current.forEach((name, schema) -> assertThat(SchemaCompatibilityCheck.problems(schema, SchemaHistory.versions(name)))
        .as("%s must stay backward and forward compatible with its released versions", name)
        .isEmpty());
  }

  @Test
  void everyTopicSchemaChangeIsReleased() {
    SchemaRelease.topicValueSchemas().forEach((name, schema) -> {
      long fingerprint = SchemaNormalization.parsingFingerprint64(schema);
      assertThat(SchemaHistory.versions(name))
          .as("%s changed without a release: run the SchemaRelease command in schemas/README.md", name)
          .anyMatch(released -> SchemaNormalization.parsingFingerprint64(released) == fingerprint);
    });
  }

  @Test
  void aRecordWrittenWithTheFirstReleasedSchemaIsReadByTheCurrentOne() {
    Schema v1 = SchemaHistory.versions(UserEvent.getClassSchema().getFullName()).get(0);
    assertThat(v1.toString()).doesNotContain("\"language\"");
    GenericRecord turn = new GenericData.Record(v1.getField("event").schema().getTypes().stream()
        .filter(s -> s.getName().equals("UserTurn")).findFirst().orElseThrow());
    turn.put("session_id", "s-old");
    turn.put("turn_id", "s-old-t0");
    turn.put("turn_index", 0);
    turn.put("transcript", "I was written by a v1 producer");
    turn.put("confidence", 0.8);
    turn.put("speech_started_at", 1_000L);
    turn.put("speech_stopped_at", 2_000L);
    turn.put("transcribed_at", 2_300L);
    turn.put("stt_provider", "pocketsphinx");
    turn.put("stt_latency_ms", 300);
    GenericRecord envelope = new GenericData.Record(v1);
    envelope.put("event", turn);
    byte[] v1Bytes = encode(v1, envelope);

    UserEvent read = AvroSerde.of(UserEvent.class).decode(v1Bytes);

    UserTurn decoded = (UserTurn) read.getEvent();
    assertThat(decoded.getTranscript()).isEqualTo("I was written by a v1 producer");
    assertThat(decoded.getSttLatencyMs()).isEqualTo(300);
    assertThat(decoded.getLanguage()).as("field added in v2 takes its default").isNull();
  }

  @Test
  void aBreakingChangeIsRejected() {
    Schema current = UserEvent.getClassSchema();
    // A new required field without a default: new readers cannot read what old producers wrote.
    Schema breaking = new Schema.Parser().parse(current.toString().replace(
        "{\"name\":\"stt_provider\"",
        "{\"name\":\"channel_count\",\"type\":\"int\"},{\"name\":\"stt_provider\""));
    // A changed field type: old readers cannot read what new producers write.
    Schema retyped = new Schema.Parser().parse(current.toString().replace(
        "{\"name\":\"turn_index\",\"type\":\"int\"", "{\"name\":\"turn_index\",\"type\":\"string\""));

    List<Schema> released = SchemaHistory.versions(current.getFullName());
    assertThat(SchemaCompatibilityCheck.problems(breaking, released))
        .isNotEmpty()
        .anyMatch(p -> p.contains("backward") && p.contains("channel_count"));
    assertThat(SchemaCompatibilityCheck.problems(retyped, released))
        .isNotEmpty()
        .anyMatch(p -> p.contains("turn_index"));
  }

  @Test
  void bytesFromAnUnknownSchemaVersionFailWithAClearError() {
    Schema unknown = new Schema.Parser().parse(
        "{\"type\":\"record\",\"name\":\"UserEvent\",\"namespace\":\"dev.parley.events\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}");
    GenericRecord record = new GenericData.Record(unknown);
    record.put("x", 1);

    assertThatThrownBy(() -> AvroSerde.of(UserEvent.class).decode(encode(unknown, record)))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("unknown schema version");
  }

  @Test
  void bytesThatAreNotAvroFailWithAClearError() {
    assertThatThrownBy(() -> AvroSerde.of(UserEvent.class).decode("{\"transcript\":\"hi\"}".getBytes()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("not Avro single-object encoded");
  }

  @Test
  void aTruncatedRecordFailsWithAClearError() {
    byte[] good = AvroSerde.of(UserEvent.class).encode(SampleEvents.userEvents("s-trunc")[2]);
    byte[] truncated = java.util.Arrays.copyOf(good, good.length - 20);

    assertThatThrownBy(() -> AvroSerde.of(UserEvent.class).decode(truncated))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("corrupt record body");
  }

  private static byte[] encode(Schema schema, GenericRecord record) {
    try {
      ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
