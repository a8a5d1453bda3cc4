package dev.parley.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.events.AgentReply;
import dev.parley.events.DeadLetter;
import dev.parley.events.UserEvent;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.SampleEvents;
import dev.parley.schemas.Topics;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

/** What a sink connector gets from each kind of Avro value, and the errors it gets for what is not Parley's. */
class ParleyConverterTest {
  private final ParleyConverter converter = converter(false);

  private static ParleyConverter converter(boolean isKey) {
    ParleyConverter converter = new ParleyConverter();
    converter.configure(Map.of(), isKey);
    return converter;
  }

  @Test
  void aCallersTurnIsAStructWithTheEventBranchSetAndTimesAsConnectTimestamps() {
    UserEvent turn = SampleEvents.userEvents("s-1")[2];
    SchemaAndValue read = converter.toConnectData(Topics.USER_TURNS.name(),
        AvroSerde.of(UserEvent.class).encode(turn));

    assertThat(read.schema().name()).isEqualTo("dev.parley.events.UserEvent");
    Struct event = ((Struct) read.value()).getStruct("event");
    assertThat(event.schema().fields()).extracting(f -> f.name())
        .containsExactly("UserSpeechStarted", "UserSpeechStopped", "UserTurn");
    assertThat(event.get("UserSpeechStarted")).isNull();
    Struct userTurn = event.getStruct("UserTurn");
    assertThat(userTurn.getString("transcript")).isEqualTo("My account login isn't working");
    assertThat(userTurn.getFloat64("confidence")).isEqualTo(0.93);
    assertThat(userTurn.schema().field("speech_started_at").schema().name()).isEqualTo(Timestamp.LOGICAL_NAME);
    assertThat((Date) userTurn.get("speech_started_at")).isEqualTo(Date.from(turn.getEvent() instanceof
        dev.parley.events.UserTurn t ? t.getSpeechStartedAt() : null));
    event.validate();
  }

  @Test
  void enumsAreTextAndOptionalFieldsAreOptional() {
    AgentReply reply = SampleEvents.agentReplies("s-2")[1];
    Struct turn = ((Struct) converter.toConnectData(Topics.AGENT_REPLIES.name(),
        AvroSerde.of(AgentReply.class).encode(reply)).value()).getStruct("event").getStruct("AgentTurn");

    assertThat(turn.getString("outcome")).isEqualTo("OK");
    assertThat(turn.schema().field("outcome").schema().parameters()).containsEntry("avro.enum",
        "dev.parley.events.TurnOutcome");
    assertThat(turn.schema().field("fallback_reason").schema().isOptional()).isTrue();
    assertThat(turn.get("fallback_reason")).isNull();
    assertThat(turn.getString("structured_fields")).contains("\"issue_category\":\"account\"");
  }

  @Test
  void deadLettersCarryTheFailedRecordsBytesAndPerAgentTopicsTheirRoutedEvent() {
    DeadLetter letter = SampleEvents.deadLetter("s-3");
    Struct read = (Struct) converter.toConnectData(Topics.deadLetters(Topics.USER_TURNS).name(),
        AvroSerde.of(DeadLetter.class).encode(letter)).value();
    assertThat(read.getBytes("value")).containsExactly(1, 2, 3);
    assertThat(new String(read.getBytes("key"))).isEqualTo("s-3");

    Schema routed = converter.toConnectData(Topics.agent("sales-agent-v1").name(),
        AvroSerde.of(dev.parley.events.RoutedEvent.class).encode(SampleEvents.routedEvent("s-3"))).schema();
    assertThat(routed.name()).isEqualTo("dev.parley.events.RoutedEvent");
  }

  @Test
  void anOptionalTimeIsAnOptionalTimestamp() {
    var beat = SampleEvents.listener("s-7");
    Struct read = (Struct) converter.toConnectData(Topics.LISTENERS.name(),
        AvroSerde.of(dev.parley.events.ListenerHeartbeat.class).encode(beat)).value();
    assertThat(read.schema().field("listening_since").schema().isOptional()).isTrue();
    assertThat(read.schema().field("listening_since").schema().name()).isEqualTo(Timestamp.LOGICAL_NAME);
    assertThat(read.get("listening_since")).isEqualTo(Date.from(beat.getListeningSince()));
  }

  @Test
  void aTombstoneIsANullValue() {
    assertThat(converter.toConnectData(Topics.AGENT_CONFIGS.name(), null)).isEqualTo(SchemaAndValue.NULL);
  }

  @Test
  void badInputGetsAnErrorNamingTheTopicAndWhy() {
    assertThatThrownBy(() -> converter.toConnectData("orders", new byte[] {1}))
        .isInstanceOf(DataException.class).hasMessageContaining("'orders' is not one of Parley's");
    assertThatThrownBy(() -> converter.toConnectData(Topics.USER_TURNS.name(), "{\"transcript\":\"hi\"}".getBytes()))
        .isInstanceOf(DataException.class).hasMessageContaining("parley.user-turns.v1")
        .hasMessageContaining("not Avro single-object encoded");
    byte[] good = AvroSerde.of(UserEvent.class).encode(SampleEvents.userEvents("s-4")[2]);
    byte[] cut = java.util.Arrays.copyOf(good, good.length - 5);
    assertThatThrownBy(() -> converter.toConnectData(Topics.USER_TURNS.name(), cut))
        .isInstanceOf(DataException.class).hasMessageContaining("corrupt record body");
    assertThatThrownBy(() -> converter(true).toConnectData(Topics.USER_TURNS.name(), good))
        .isInstanceOf(DataException.class).hasMessageContaining("StringConverter");
    assertThatThrownBy(() -> converter.fromConnectData(Topics.USER_TURNS.name(), Schema.STRING_SCHEMA, "x"))
        .isInstanceOf(DataException.class).hasMessageContaining("only reads");
  }

  @Test
  void theSameAvroSchemaGivesTheSameConnectSchemaEveryTime() {
    byte[] a = AvroSerde.of(UserEvent.class).encode(SampleEvents.userEvents("s-5")[0]);
    byte[] b = AvroSerde.of(UserEvent.class).encode(SampleEvents.userEvents("s-6")[2]);
    assertThat(List.of(converter.toConnectData(Topics.USER_TURNS.name(), a).schema()))
        .containsExactly(converter.toConnectData(Topics.USER_TURNS.name(), b).schema());
  }
}
