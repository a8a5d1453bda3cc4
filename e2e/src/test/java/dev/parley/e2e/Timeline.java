package dev.parley.e2e;

import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.PlaybackEvent;
import dev.parley.events.RoutedEvent;
import dev.parley.events.RoutingDecision;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserSpeechStarted;
import dev.parley.events.UserTurn;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** One session as the topics hold it: every event with its record timestamp, in time order. */
record Timeline(String sessionId, List<Entry> entries) {
  record Entry(long at, String topic, Object event) {}

  static Timeline read(String bootstrap, String session, String agent) {
    List<Entry> entries = new ArrayList<>();
    for (String topic : List.of(Topics.SESSIONS.name(), Topics.USER_TURNS.name(), Topics.ROUTING_DECISIONS.name(),
        Topics.agent(agent).name(), Topics.AGENT_REPLIES.name(), Topics.PLAYBACK.name())) {
      for (ConsumerRecord<String, byte[]> record : all(bootstrap, topic)) {
        if (session.equals(record.key())) {
          entries.add(new Entry(record.timestamp(), topic, decode(topic, record.value())));
        }
      }
    }
    entries.sort(Comparator.comparingLong(Entry::at));
    return new Timeline(session, entries);
  }

  /** The session id that ingress gave the call in {@code room}. */
  static String sessionOfRoom(String bootstrap, String room) {
    for (ConsumerRecord<String, byte[]> record : all(bootstrap, Topics.SESSIONS.name())) {
      Object event = Topics.SESSIONS.valueSerde().deserializer().deserialize(null, record.value()).getEvent();
      if (event instanceof SessionStarted started && started.getRoomName().equals(room)) {
        return record.key();
      }
    }
    throw new AssertionError("no session for room " + room);
  }

  private static Object decode(String topic, byte[] value) {
    if (topic.equals(Topics.SESSIONS.name())) {
      return Topics.SESSIONS.valueSerde().deserializer().deserialize(null, value).getEvent();
    } else if (topic.equals(Topics.USER_TURNS.name())) {
      return Topics.USER_TURNS.valueSerde().deserializer().deserialize(null, value).getEvent();
    } else if (topic.equals(Topics.ROUTING_DECISIONS.name())) {
      return Topics.ROUTING_DECISIONS.valueSerde().deserializer().deserialize(null, value);
    } else if (topic.equals(Topics.AGENT_REPLIES.name())) {
      return Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(null, value).getEvent();
    } else if (topic.equals(Topics.PLAYBACK.name())) {
      return Topics.PLAYBACK.valueSerde().deserializer().deserialize(null, value);
    }
    return AvroSerde.of(RoutedEvent.class).decode(value).getEvent();
  }

  private static List<ConsumerRecord<String, byte[]>> all(String bootstrap, String topic) {
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
    }
    return records;
  }

  /** "topic:EventType" per entry, e.g. "user-turns:UserTurn", "playback:INTERRUPTED". */
  List<String> events() {
    return entries.stream().map(e -> shortTopic(e.topic()) + ":" + (e.event() instanceof PlaybackEvent p
        ? p.getKind().name() : e.event().getClass().getSimpleName())).toList();
  }

  String decision() {
    return entries.stream().filter(e -> e.event() instanceof RoutingDecision).map(e -> e.event().toString())
        .findFirst().orElse("");
  }

  long firstUserSpeech() {
    return entries.stream().filter(e -> e.event() instanceof UserSpeechStarted).mapToLong(Entry::at).min()
        .orElseThrow();
  }

  /** Voice-to-voice latency split by stage for the first user turn. */
  String stages(long firstAgentAudioAtCaller) {
    UserTurn turn = (UserTurn) entries.stream().filter(e -> e.event() instanceof UserTurn).findFirst()
        .orElseThrow().event();
    long spoken = turn.getSpeechStoppedAt().toEpochMilli();
    long transcribed = turn.getTranscribedAt().toEpochMilli();
    long routed = entries.stream().filter(e -> e.event() instanceof UserTurn && e.topic().startsWith("parley.agent."))
        .mapToLong(Entry::at).findFirst().orElse(-1);
    long firstChunk = entries.stream().filter(e -> e.event() instanceof AgentReplyChunk c
        && c.getTurnId().equals(turn.getTurnId())).mapToLong(Entry::at).findFirst().orElse(-1);
    AgentTurn answer = (AgentTurn) entries.stream().filter(e -> e.event() instanceof AgentTurn t
        && t.getTurnId().equals(turn.getTurnId())).findFirst().orElseThrow().event();
    return String.format("voice-to-voice stages (ms): end of speech -> transcript %d (endpointing + STT; STT alone"
        + " %d) | -> routed to the agent topic %d | -> first reply sentence on Kafka %d (LLM first token %s,"
        + " first sentence %s) | -> first agent audio at the caller %d (TTS + WebRTC) | total %d",
        transcribed - spoken, turn.getSttLatencyMs(), routed - transcribed, firstChunk - routed,
        answer.getTimeToFirstTokenMs(), answer.getTimeToFirstChunkMs(), firstAgentAudioAtCaller - firstChunk,
        firstAgentAudioAtCaller - spoken);
  }

  private static String shortTopic(String topic) {
    if (topic.startsWith("parley.agent.") && !topic.equals(Topics.AGENT_REPLIES.name())) {
      return "agent";
    }
    return switch (topic) {
      case "parley.sessions.v1" -> "sessions";
      case "parley.user-turns.v1" -> "user-turns";
      case "parley.routing-decisions.v1" -> "decisions";
      case "parley.agent-replies.v1" -> "replies";
      case "parley.playback.v1" -> "playback";
      default -> topic;
    };
  }

}
