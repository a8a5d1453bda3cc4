package dev.parley.processor;

import dev.parley.events.AgentReply;
import dev.parley.events.AgentTurn;
import dev.parley.events.Escalation;
import dev.parley.events.Handoff;
import dev.parley.events.SessionSummary;
import dev.parley.events.ToolCall;
import dev.parley.kit.TopicWindow;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An agent's answers on Kafka: replies carry this instance's name and when their record was received; nothing is
 * published for a fenced partition (lost to another instance while busy); a turn received soon after its partition
 * came here is checked against the replies topic before its final answer goes out.
 */
final class KafkaReplies implements TurnAnswerer.Replies {
  private static final Logger log = LoggerFactory.getLogger(KafkaReplies.class);
  /** How long after an assignment a turn's final answer is checked against the replies topic before it goes out. */
  static final long TAKE_OVER_CHECK_MS = 15_000;
  private final String agentId;
  private final String bootstrapServers;
  private final byte[] instanceName;
  private final Producer<byte[], byte[]> producer;
  private final Map<String, byte[]> receivedAt;
  private final TurnTraces traces;
  private final Set<Integer> fenced;
  private final Map<Integer, Long> assignedAt;

  private final java.util.function.Predicate<String> served;

  KafkaReplies(String agentId, String bootstrapServers, byte[] instanceName, Producer<byte[], byte[]> producer,
      Map<String, byte[]> receivedAt, TurnTraces traces, Set<Integer> fenced,
      Map<Integer, Long> assignedAt, java.util.function.Predicate<String> served) {
    this.served = served;
    this.agentId = agentId;
    this.bootstrapServers = bootstrapServers;
    this.instanceName = instanceName;
    this.producer = producer;
    this.receivedAt = receivedAt;
    this.traces = traces;
    this.fenced = fenced;
    this.assignedAt = assignedAt;
  }

  @Override
  public Future<RecordMetadata> reply(String session, AgentReply reply) {
    if (fenced.contains(Topics.partitionOf(session))) { // the partition's new owner answers this turn
      return CompletableFuture.completedFuture(null);
    }
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(Topics.AGENT_REPLIES.name(),
        session.getBytes(StandardCharsets.UTF_8), AvroSerde.of(AgentReply.class).encode(reply));
    record.headers().add(Topics.REPLY_INSTANCE_HEADER, instanceName);
    byte[] received = receivedAt.get(session);
    if (received != null) {
      record.headers().add(Topics.REPLY_RECEIVED_AT_HEADER, received);
    }
    traces.into(session, record.headers());
    return producer.send(record);
  }

  @Override
  public Future<RecordMetadata> escalation(Escalation escalation) {
    return producer.send(new ProducerRecord<>(Topics.ESCALATIONS.name(),
        escalation.getSessionId().getBytes(StandardCharsets.UTF_8), AvroSerde.of(Escalation.class).encode(escalation)));
  }

  @Override
  public Future<RecordMetadata> summary(SessionSummary summary) {
    return producer.send(new ProducerRecord<>(Topics.SESSION_SUMMARIES.name(),
        summary.getSessionId().getBytes(StandardCharsets.UTF_8), AvroSerde.of(SessionSummary.class).encode(summary)));
  }

  @Override
  public Future<RecordMetadata> toolCall(ToolCall call) {
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(Topics.TOOL_CALLS.name(),
        call.getSessionId().getBytes(StandardCharsets.UTF_8), AvroSerde.of(ToolCall.class).encode(call));
    traces.into(call.getSessionId(), record.headers());
    return producer.send(record);
  }

  @Override
  public boolean served(String agentId) {
    return served.test(agentId);
  }

  @Override
  public Future<RecordMetadata> handoff(Handoff handoff) {
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(Topics.HANDOFFS.name(),
        handoff.getSessionId().getBytes(StandardCharsets.UTF_8), AvroSerde.of(Handoff.class).encode(handoff));
    traces.into(handoff.getSessionId(), record.headers());
    return producer.send(record);
  }

  @Override
  public List<AgentTurn> sessionTurns(String session, Duration back) {
    return HistoryBootstrap.sessionTurns(bootstrapServers, session, back);
  }

  /**
   * For a turn received soon after its partition came here: whether the instance that held the partition before
   * (dropped from the group while still working, not dead) finished it meanwhile. The take-over read of the replies
   * topic happened before that answer was written, so the topic is read again, from just before the assignment.
   */
  @Override
  public boolean answeredElsewhere(String session, String turnId) {
    Long since = assignedAt.get(Topics.partitionOf(session));
    long now = System.currentTimeMillis();
    if (since == null || now - since > TAKE_OVER_CHECK_MS) {
      return false;
    }
    boolean[] found = {false};
    try {
      TopicWindow.read(bootstrapServers, Topics.AGENT_REPLIES.name(), List.of(Topics.partitionOf(session)),
          Duration.ofMillis(now - since + 5_000), Duration.ofSeconds(2), r -> {
            var header = r.headers().lastHeader(Topics.REPLY_INSTANCE_HEADER);
            if (session.equals(r.key()) && !Arrays.equals(instanceName, header == null ? null : header.value())) {
              AgentReply reply = AvroSerde.of(AgentReply.class).decode(r.value());
              found[0] |= reply != null && reply.getEvent() instanceof AgentTurn t && t.getTurnId().equals(turnId);
            }
          });
    } catch (RuntimeException e) {
      log.warn("{}: cannot check whether turn {} was finished elsewhere: {}", agentId, turnId, e.getMessage());
    }
    return found[0];
  }
}
