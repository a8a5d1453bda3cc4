package dev.parley.launcher;

import dev.parley.schemas.Handoffs;
import dev.parley.schemas.TurnId;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.RoutingDecision;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserTurn;
import dev.parley.schemas.Topics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code parley chat}: a text console through the real pipeline. Typed lines become user turns on
 * {@code parley.user-turns.v1}; the router and processor answer as they would a caller, and the
 * sentences, structured fields and timings come back from {@code parley.agent-replies.v1}.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
    description = "Talk to an agent through the running pipeline (start it with ./parley up).")
final class ChatCommand implements Callable<Integer> {
  @Option(names = "--purpose", description = "support, sales, onboarding or interview")
  String purpose;

  @Option(names = "--agent", description = "an explicit agent id")
  String agent;

  @Option(names = "--metadata", description = "raw room metadata JSON (overrides --purpose/--agent)")
  String metadata;

  @Option(names = "--kafka", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE})")
  String bootstrap = "127.0.0.1:9092";

  @Option(names = "--timeout", description = "seconds to wait for each answer (default: ${DEFAULT-VALUE})")
  int timeoutSeconds = 60;

  PrintStream out = System.out;
  BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

  @Override
  public Integer call() throws Exception {
    String session = "chat-" + UUID.randomUUID().toString().substring(0, 8);
    String roomMetadata = metadata != null ? metadata : roomMetadata();
    try (Conversation conversation = new Conversation(bootstrap, session)) {
      conversation.start(roomMetadata);
      out.println("session " + session + " (metadata " + roomMetadata + ")");
      printTurn(conversation.awaitTurn(TurnId.greeting(session).toString(), Duration.ofSeconds(timeoutSeconds), true));
      int turn = 0;
      out.print("you> ");
      out.flush();
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.isBlank()) {
          out.print("you> ");
          out.flush();
          continue;
        }
        if (line.strip().equals("/quit")) {
          break;
        }
        String turnId = TurnId.line(session, turn).toString();
        conversation.say(turnId, turn++, line.strip());
        Conversation.Answer answer = conversation.awaitTurn(turnId, Duration.ofSeconds(timeoutSeconds), false);
        printTurn(answer);
        if (answer != null && passedOn(answer.turn())) { // the next agent picks the caller up
          printTurn(conversation.awaitTurn(Handoffs.pickUp(TurnId.parse(turnId)).toString(),
              Duration.ofSeconds(timeoutSeconds), true));
        }
        out.print("you> ");
        out.flush();
      }
      conversation.end();
      out.println();
      out.println("session ended");
    }
    return 0;
  }

  private String roomMetadata() {
    ObjectNode node = new ObjectMapper().createObjectNode();
    if (agent != null) {
      node.put("agent_id", agent);
    }
    node.put("purpose", purpose == null ? "support" : purpose);
    node.put("user_id", "console-user");
    return node.toString();
  }

  /** Whether {@code turn} passed the caller to another agent (its {@code handoff_to} names one). */
  static boolean passedOn(AgentTurn turn) {
    try {
      String to = new ObjectMapper().readTree(turn.getStructuredFields() == null ? "{}" : turn.getStructuredFields())
          .path(dev.parley.agentconfig.AgentConfigValidator.HANDOFF_FIELD).asText("");
      return !to.isEmpty() && !to.equals(dev.parley.agentconfig.AgentConfigValidator.NO_HANDOFF);
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private void printTurn(Conversation.Answer answer) {
    if (answer == null) {
      out.println("(no answer within " + timeoutSeconds + " s: is ./parley up running?)");
      return;
    }
    AgentTurn turn = answer.turn();
    out.printf("   fields %s%n", turn.getStructuredFields());
    out.printf("   %s, %s via %s; first sentence %s ms, total %d ms, %d+%d tokens%s%n", turn.getOutcome(),
        turn.getAgentId() + " v" + turn.getConfigVersion(), turn.getModel(), turn.getTimeToFirstChunkMs(),
        turn.getTotalMs(), turn.getPromptTokens(), turn.getCompletionTokens(),
        turn.getFallbackReason() == null ? "" : " (" + turn.getFallbackReason() + ")");
  }

  /** One session's traffic. */
  private final class Conversation implements AutoCloseable {
    record Answer(AgentTurn turn) {}

    private final String session;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;

    Conversation(String bootstrap, String session) {
      this.session = session;
      this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000),
          new org.apache.kafka.common.serialization.StringSerializer(),
          new org.apache.kafka.common.serialization.ByteArraySerializer());
      this.consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> partitions = new ArrayList<>();
      try {
        for (String topic : List.of(Topics.AGENT_REPLIES.name(), Topics.ROUTING_DECISIONS.name())) {
          consumer.partitionsFor(topic, Duration.ofSeconds(10)).forEach(p -> partitions.add(
              new TopicPartition(topic, p.partition())));
        }
      } catch (org.apache.kafka.common.KafkaException e) {
        close();
        throw new IllegalStateException("cannot reach Kafka at " + bootstrap + " within 10 s (is ./parley up"
            + " running? --kafka names another broker): " + e.getMessage(), e);
      }
      if (partitions.isEmpty()) {
        close();
        throw new IllegalStateException("Kafka at " + bootstrap + " has no " + Topics.AGENT_REPLIES.name()
            + " topic: start the stack with ./parley up");
      }
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position);
    }

    void start(String roomMetadata) throws Exception {
      send(Topics.SESSIONS.name(), Topics.SESSIONS.valueSerde().serializer().serialize(null, new SessionEvent(
          SessionStarted.newBuilder().setSessionId(session).setRoomName("console-" + session)
              .setParticipantIdentity("console").setUserId("console-user").setRoomMetadata(roomMetadata)
              .setStartedAt(Instant.now()).build())));
    }

    void say(String turnId, int index, String text) throws Exception {
      Instant now = Instant.now();
      send(Topics.USER_TURNS.name(), Topics.USER_TURNS.valueSerde().serializer().serialize(null, new UserEvent(
          UserTurn.newBuilder().setSessionId(session).setTurnId(turnId).setTurnIndex(index).setTranscript(text)
              .setSpeechStartedAt(now).setSpeechStoppedAt(now).setTranscribedAt(now).setSttProvider("console")
              .build())));
    }

    void end() throws Exception {
      send(Topics.SESSIONS.name(), Topics.SESSIONS.valueSerde().serializer().serialize(null, new SessionEvent(
          new SessionEnded(session, "caller_left", Instant.now()))));
    }

    private void send(String topic, byte[] value) throws Exception {
      producer.send(new ProducerRecord<>(topic, session, value)).get(10, TimeUnit.SECONDS);
    }

    private final java.util.ArrayDeque<ConsumerRecord<String, byte[]>> unread = new java.util.ArrayDeque<>();

    /** Prints the sentences of {@code turnId} as they arrive; returns its final turn, or null on time-out. */
    Answer awaitTurn(String turnId, Duration timeout, boolean showDecision) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        if (unread.isEmpty()) {
          consumer.poll(Duration.ofMillis(50)).forEach(unread::add);
        }
        // one poll may bring the end of this turn and what follows it (a routing decision read in the same poll as
        // the greeting): what is not read yet stays for the next turn instead of being dropped
        for (ConsumerRecord<String, byte[]> record; (record = unread.poll()) != null; ) {
          if (!session.equals(record.key())) {
            continue;
          }
          if (record.topic().equals(Topics.ROUTING_DECISIONS.name())) {
            RoutingDecision decision = Topics.ROUTING_DECISIONS.valueSerde().deserializer().deserialize(null,
                record.value());
            out.printf("routed to %s v%d by %s: %s%n", decision.getAgentId(), decision.getConfigVersion(),
                decision.getStrategy(), decision.getReason());
            continue;
          }
          AgentReply reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(null, record.value());
          if (reply.getEvent() instanceof AgentReplyChunk chunk && chunk.getTurnId().equals(turnId)) {
            out.println("agent> " + chunk.getText());
          } else if (reply.getEvent() instanceof AgentTurn turn && turn.getTurnId().equals(turnId)) {
            return new Answer(turn);
          }
        }
      }
      return null;
    }

    @Override
    public void close() {
      producer.close(Duration.ofSeconds(5));
      consumer.close(Duration.ofSeconds(5));
    }
  }
}
