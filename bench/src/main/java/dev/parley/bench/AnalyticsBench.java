package dev.parley.bench;

import dev.parley.schemas.TurnId;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.ConfigStatus;
import dev.parley.events.PlaybackEvent;
import dev.parley.events.PlaybackKind;
import dev.parley.events.RoutedEvent;
import dev.parley.events.RoutingDecision;
import dev.parley.events.RoutingStrategy;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.TurnOutcome;
import dev.parley.events.UserEvent;
import dev.parley.events.UserSpeechStarted;
import dev.parley.events.UserTurn;
import dev.parley.insights.Analytics;
import dev.parley.insights.Progress;
import dev.parley.insights.SessionLog;
import dev.parley.localstack.KafkaBroker;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;

/**
 * {@code parley analytics} over a generated history: writes N events (default 1,000,000) of
 * four-turn sessions over the four seed agents into a fresh broker's topics, as the services
 * would, then runs the analytics over the whole range and checks the figures against what was
 * generated (sessions, turns, resolution rate, routing p99 per agent).
 *
 * <pre>./parley bench analytics [events]</pre>
 */
public final class AnalyticsBench {
  private static final int TURNS = 4;
  private static final int EVENTS_PER_SESSION = 3 + TURNS * 7;

  public static void main(String[] args) throws Exception {
    long target = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
    int sessions = (int) Math.max(1, target / EVENTS_PER_SESSION);
    Path dir = Files.createTempDirectory("parley-analytics-bench");
    System.out.printf("analytics benchmark: %,d sessions x %d events = %,d events over the four seed agents, one"
        + " broker on this machine's %d cores%n", sessions, EVENTS_PER_SESSION, (long) sessions * EVENTS_PER_SESSION,
        Runtime.getRuntime().availableProcessors());
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0)) {
      List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
      SeedAgents.IDS.forEach(a -> topics.add(Topics.agent(a)));
      try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
        new TopicProvisioner(admin, (short) 1).ensure(topics);
      }
      Instant end = Instant.now().minusSeconds(60);
      Instant start = end.minus(Duration.ofHours(6));
      long genStart = System.nanoTime();
      Expected expected = generate(broker.bootstrapServers(), sessions, start, end);
      double genSeconds = (System.nanoTime() - genStart) / 1e9;
      System.out.printf("generated %,d events in %.1f s (%,.0f events/s written)%n", expected.events, genSeconds,
          expected.events / genSeconds);

      Progress progress = new Progress(System.out, "analytics", 2000);
      long readStart = System.nanoTime();
      ObjectNode report;
      try (SessionLog log = new SessionLog(broker.bootstrapServers())) {
        report = Analytics.run(log, new Analytics.Options(start.minusSeconds(1), end.plusSeconds(120), Set.of(),
            Duration.ofMinutes(5)), progress);
      }
      double readSeconds = (System.nanoTime() - readStart) / 1e9;
      long read = report.get("events_read").asLong();
      System.out.printf("%nanalytics read %,d events in %.1f s: %,.0f events/s (whole run: decode, group by session,"
          + " aggregate, exact percentiles); heap in use %,d MB%n", read, readSeconds, read / readSeconds,
          (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
      boolean exact = read == expected.events;
      System.out.printf("%n| agent | sessions | user turns | resolution/closing rate | routing p99 (ms) | matches |%n");
      System.out.println("|---|---|---|---|---|---|");
      for (JsonNode agent : report.get("agents")) {
        String id = agent.get("agent_id").asText();
        int[] e = expected.counts.get(id);
        long p99 = expected.p99(id);
        JsonNode flag = agent.at("/fields/" + flagOf(id) + "/true");
        boolean ok = agent.get("sessions").asInt() == e[0] && agent.get("user_turns").asInt() == e[1]
            && flag.asInt() == e[2] && agent.at("/latency_ms/routing/p99").asLong() == p99;
        exact &= ok;
        System.out.printf("| %s | %,d | %,d | %d of %d | %d | %s |%n", id, agent.get("sessions").asInt(),
            agent.get("user_turns").asInt(), flag.asInt(), agent.get("sessions").asInt(),
            agent.at("/latency_ms/routing/p99").asLong(), ok ? "yes" : "NO (expected " + Arrays.toString(e)
                + ", p99 " + p99 + ")");
      }
      System.out.println(exact ? "\nexact: every generated event read, every figure matches the generator"
          : "\nMISMATCH: see the table");
      System.exit(exact ? 0 : 1);
    }
  }

  private static String flagOf(String agent) {
    return switch (agent) {
      case "support-agent-v1" -> "issue_resolved";
      case "sales-agent-v1" -> "budget_mentioned";
      case "onboarding-agent-v1" -> "onboarding_complete";
      default -> "credible";
    };
  }

  /** What the generator wrote: per agent {sessions, user turns, final flag true}, and routing delays. */
  private static final class Expected {
    long events;
    final Map<String, int[]> counts = new HashMap<>();
    final Map<String, List<Long>> routing = new HashMap<>();

    long p99(String agent) {
      List<Long> values = new ArrayList<>(routing.get(agent));
      values.sort(null);
      return values.get((int) Math.ceil(0.99 * values.size()) - 1);
    }
  }

  private static Expected generate(String bootstrap, int sessions, Instant start, Instant end) throws Exception {
    Map<String, Object> config = new HashMap<>(Map.of("bootstrap.servers", bootstrap, ProducerConfig.LINGER_MS_CONFIG,
        20, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024, ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4",
        ProducerConfig.ACKS_CONFIG, "1", ProducerConfig.BUFFER_MEMORY_CONFIG, 128L << 20));
    Expected expected = new Expected();
    Random random = new Random(7);
    List<AgentConfig> agents = SeedAgents.all();
    long spacing = Math.max(1, Duration.between(start, end).toMillis() / sessions);
    AvroSerde<SessionEvent> sessionSerde = AvroSerde.of(SessionEvent.class);
    AvroSerde<UserEvent> userSerde = AvroSerde.of(UserEvent.class);
    AvroSerde<RoutingDecision> decisionSerde = AvroSerde.of(RoutingDecision.class);
    AvroSerde<RoutedEvent> routedSerde = AvroSerde.of(RoutedEvent.class);
    AvroSerde<AgentReply> replySerde = AvroSerde.of(AgentReply.class);
    AvroSerde<PlaybackEvent> playbackSerde = AvroSerde.of(PlaybackEvent.class);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, Serdes.String().serializer(),
        Serdes.ByteArray().serializer())) {
      for (AgentConfig agent : agents) {
        ObjectNode json = AgentConfigJson.tree(agent.withDefaults());
        json.put("version", 1).put("status", "active");
        producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), agent.agentId(), AvroSerde.of(
            AgentConfigSnapshot.class).encode(AgentConfigSnapshot.newBuilder().setAgentId(agent.agentId())
            .setTenantId("bench").setVersion(1).setStatus(ConfigStatus.ACTIVE).setConfigJson(json.toString())
            .setUpdatedAt(Instant.now()).build())));
        expected.counts.put(agent.agentId(), new int[3]);
        expected.routing.put(agent.agentId(), new ArrayList<>());
      }
      for (int i = 0; i < sessions; i++) {
        AgentConfig agent = agents.get(i % agents.size());
        String id = agent.agentId();
        String session = "bench-" + i;
        long t = start.toEpochMilli() + i * spacing;
        int[] counts = expected.counts.get(id);
        counts[0]++;
        send(producer, Topics.SESSIONS.name(), session, t, sessionSerde.encode(new SessionEvent(SessionStarted
            .newBuilder().setSessionId(session).setRoomName("room-" + i).setParticipantIdentity("caller-" + i)
            .setRoomMetadata("{}").setParticipantMetadata("{}").setParticipantAttributes(Map.of())
            .setStartedAt(Instant.ofEpochMilli(t)).build())));
        send(producer, Topics.ROUTING_DECISIONS.name(), session, t + 5, decisionSerde.encode(RoutingDecision
            .newBuilder().setSessionId(session).setAgentId(id).setConfigVersion(1).setStrategy(RoutingStrategy.PURPOSE)
            .setReason("bench").setRulesVersion(1).setDecidedAt(Instant.ofEpochMilli(t + 5)).build()));
        boolean flag = random.nextInt(100) < 60;
        if (flag) {
          counts[2]++;
        }
        for (int turn = 0; turn < TURNS; turn++) {
          counts[1]++;
          long stopped = t + 2000 + turn * 4000L;
          long routing = 1 + random.nextInt(random.nextInt(100) < 98 ? 10 : 60);
          expected.routing.get(id).add(routing);
          String turnId = TurnId.line(session, turn).toString();
          send(producer, Topics.USER_TURNS.name(), session, stopped - 1500, userSerde.encode(new UserEvent(
              UserSpeechStarted.newBuilder().setSessionId(session).setSpeechId(turnId).setStartedAt(
                  Instant.ofEpochMilli(stopped - 1500)).build())));
          UserTurn user = UserTurn.newBuilder().setSessionId(session).setTurnId(turnId).setTurnIndex(turn)
              .setTranscript("turn " + turn + " of a generated call").setConfidence(0.9)
              .setSpeechStartedAt(Instant.ofEpochMilli(stopped - 1500)).setSpeechStoppedAt(Instant.ofEpochMilli(stopped))
              .setTranscribedAt(Instant.ofEpochMilli(stopped + 300)).setSttProvider("bench").setSttLatencyMs(250)
              .build();
          send(producer, Topics.USER_TURNS.name(), session, stopped + 300, userSerde.encode(new UserEvent(user)));
          send(producer, Topics.agent(id).name(), session, stopped + 300 + routing, routedSerde.encode(RoutedEvent
              .newBuilder().setSessionId(session).setAgentId(id).setConfigVersion(1)
              .setRoutedAt(Instant.ofEpochMilli(stopped + 300 + routing)).setEvent(user).build()));
          long chunkAt = stopped + 300 + routing + 400 + random.nextInt(400);
          send(producer, Topics.AGENT_REPLIES.name(), session, chunkAt, replySerde.encode(new AgentReply(AgentReplyChunk
              .newBuilder().setSessionId(session).setTurnId(turnId).setAgentId(id).setConfigVersion(1).setChunkIndex(0)
              .setText("A generated answer.").setCreatedAt(Instant.ofEpochMilli(chunkAt)).build())));
          boolean last = turn == TURNS - 1;
          String fields = "{\"" + flagOf(id) + "\":" + (last ? flag : random.nextBoolean()) + "}";
          send(producer, Topics.AGENT_REPLIES.name(), session, chunkAt + 100, replySerde.encode(new AgentReply(AgentTurn
              .newBuilder().setSessionId(session).setTurnId(turnId).setAgentId(id).setConfigVersion(1)
              .setSchemaId("bench").setSystemResponse("A generated answer.").setStructuredFields(fields)
              .setProvider("bench").setModel("bench").setPromptTokens(1).setCompletionTokens(1).setTotalMs(500)
              .setChunkCount(1).setOutcome(TurnOutcome.OK).setCreatedAt(Instant.ofEpochMilli(chunkAt + 100))
              .setUserTranscript(user.getTranscript()).build())));
          for (PlaybackKind kind : List.of(PlaybackKind.STARTED, PlaybackKind.FINISHED)) {
            long at = chunkAt + (kind == PlaybackKind.STARTED ? 150 : 1500);
            send(producer, Topics.PLAYBACK.name(), session, at, playbackSerde.encode(PlaybackEvent.newBuilder()
                .setSessionId(session).setTurnId(turnId).setKind(kind).setAt(Instant.ofEpochMilli(at))
                .setAudioMsPlayed(kind == PlaybackKind.STARTED ? 0 : 1350).setChunksPlayed(1).build()));
          }
        }
        send(producer, Topics.SESSIONS.name(), session, t + 2000 + TURNS * 4000L, sessionSerde.encode(new SessionEvent(
            SessionEnded.newBuilder().setSessionId(session).setReason("caller left")
                .setEndedAt(Instant.ofEpochMilli(t + 2000 + TURNS * 4000L)).build())));
        expected.events += EVENTS_PER_SESSION;
        if ((i + 1) % 5000 == 0) {
          System.out.printf("  generated %,d of %,d sessions%n", i + 1, sessions);
        }
      }
      producer.flush();
    }
    return expected;
  }

  private static void send(KafkaProducer<String, byte[]> producer, String topic, String key, long at, byte[] value) {
    producer.send(new ProducerRecord<>(topic, null, at, key, value));
  }
}
