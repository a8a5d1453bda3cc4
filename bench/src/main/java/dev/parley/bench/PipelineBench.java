package dev.parley.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.ConfigStatus;
import dev.parley.events.RoutedEvent;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserTurn;
import dev.parley.llm.StandInLlmServer;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.JavaProcess;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The text pipeline under load, as deployed: router-stream and llm-processor as their own processes
 * on a real broker, an OpenAI-compatible stand-in as the LLM. A load generator plays ingress: N
 * concurrent sessions start, then send user turns at a paced rate. Reports per hop, from record
 * timestamps: the router hop (user turn → its routed copy), the processor hop (routed copy → first
 * reply sentence, including the stand-in's HTTP answer) and end to end (user turn sent → first
 * sentence received downstream), then per-topic scaling: an LLM that takes ~100 ms per turn and 8
 * turns at a time per instance, one processor instance against two on the same agent topic.
 *
 * <pre>./parley bench pipeline [sessions...]   (default: 100 1000)</pre>
 */
public final class PipelineBench {
  private static final String AGENT = "bench-pipeline-agent";

  public static void main(String[] args) throws Exception {
    List<Integer> sessionCounts = new ArrayList<>();
    for (String arg : args) {
      sessionCounts.add(Integer.parseInt(arg));
    }
    if (sessionCounts.isEmpty()) {
      sessionCounts = List.of(100, 1000);
    }
    Path dir = Files.createTempDirectory("parley-pipeline-bench");
    System.out.printf("pipeline benchmark: broker, router, processor(s), LLM stand-in and load generator share this"
        + " machine's %d cores%n", Runtime.getRuntime().availableProcessors());
    List<String> rows = new ArrayList<>();
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0)) {
      String bootstrap = broker.bootstrapServers();
      int instantPort = FreePorts.pick();
      int slowPort = FreePorts.pick();
      try (JavaProcess instant = JavaProcess.start("llm-instant", StandInLlmServer.class.getName(), Map.of(),
          dir.resolve("llm-instant.log"), String.valueOf(instantPort), "0").awaitLog("STANDIN_READY",
          Duration.ofSeconds(30));
          JavaProcess slow = JavaProcess.start("llm-100ms", StandInLlmServer.class.getName(), Map.of(),
              dir.resolve("llm-slow.log"), String.valueOf(slowPort), "5").awaitLog("STANDIN_READY",
              Duration.ofSeconds(30));
          JavaProcess router = JavaProcess.start("router-stream", "dev.parley.router.RouterMain", Map.of(
              "PARLEY_KAFKA_BOOTSTRAP", bootstrap, "PARLEY_ROUTER_STATE_DIR", dir.resolve("router").toString()),
              dir.resolve("router.log")).awaitLog("-> RUNNING", Duration.ofSeconds(90))) {
        prepare(bootstrap, "http://127.0.0.1:" + instantPort + "/v1");
        try (JavaProcess processor = processor(bootstrap, dir, "p0", 32)) {
          Thread.sleep(5000);
          System.out.println("warming up (JIT, group joins, connections): 50 sessions, 100 turns/s, 15 s, not reported");
          paced(bootstrap, 50, 100, 15);
          for (int sessions : sessionCounts) {
            rows.add(paced(bootstrap, sessions, Math.min(200, sessions), 20));
          }
        }
        System.out.println();
        System.out.println("| sessions | turns/s paced | router hop p50 / p99 (ms) | processor hop p50 / p99 (ms) |"
            + " Kafka hops added p50 / p99 (ms) | end to end p50 / p99 (ms) | turns answered |");
        System.out.println("|---|---|---|---|---|---|---|");
        rows.forEach(System.out::println);

        // scaling: the same agent topic with one, then two processor instances, each 8 turns at a time,
        // against an LLM that takes ~100 ms a turn (LLM-bound, as real agents are)
        prepare(bootstrap, "http://127.0.0.1:" + slowPort + "/v1");
        Thread.sleep(2000);
        List<String> scaling = new ArrayList<>();
        try (JavaProcess one = processor(bootstrap, dir, "s1", 8)) {
          Thread.sleep(6000);
          scaling.add("| 1 | " + burst(bootstrap, 100, 2000) + " |");
          try (JavaProcess two = processor(bootstrap, dir, "s2", 8)) {
            Thread.sleep(12_000); // the group rebalances: each instance takes 3 of the 6 partitions
            scaling.add("| 2 | " + burst(bootstrap, 100, 2000) + " |");
          }
        }
        System.out.println();
        System.out.println("| processor instances (8 turns at a time each, LLM ~100 ms/turn) | burst turns/s |");
        System.out.println("|---|---|");
        scaling.forEach(System.out::println);
      }
    }
    System.exit(0);
  }

  private static JavaProcess processor(String bootstrap, Path dir, String id, int threads) {
    return JavaProcess.start("llm-processor-" + id, "dev.parley.processor.ProcessorMain", Map.of(
        "PARLEY_KAFKA_BOOTSTRAP", bootstrap, "PARLEY_AGENTS", AGENT, "OPENAI_API_KEY", "stand-in",
        "PARLEY_PROCESSOR_THREADS", String.valueOf(threads), "PARLEY_PROCESSOR_INSTANCE_ID", id),
        dir.resolve("processor-" + id + ".log"));
  }

  private static void prepare(String bootstrap, String llmUrl) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
      topics.add(Topics.agent(AGENT));
      new TopicProvisioner(admin, (short) 1).ensure(topics);
    }
    ObjectNode json = AgentConfigJson.tree(SeedAgents.all().get(0).withDefaults());
    json.put("agent_id", AGENT).put("version", 1).put("status", "active");
    json.with("prompt_config").remove("greeting"); // turns only: no greeting per session
    json.with("llm_config").put("provider", "openai-compatible").put("base_url", llmUrl).put("model", "stand-in");
    try (var producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), Serdes.String().serializer(),
        Topics.AGENT_CONFIGS.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), AGENT, AgentConfigSnapshot.newBuilder()
          .setAgentId(AGENT).setTenantId("bench").setVersion(1).setStatus(ConfigStatus.ACTIVE)
          .setConfigJson(json.toString()).setUpdatedAt(Instant.now()).build())).get();
    }
  }

  /** Starts {@code sessions} sessions, then sends turns round-robin at {@code rate}/s for {@code seconds}. */
  private static String paced(String bootstrap, int sessions, int rate, int seconds) throws Exception {
    String run = "r" + System.nanoTime() % 100_000;
    Measure m = new Measure(run);
    Thread consumer = new Thread(() -> m.consume(bootstrap));
    consumer.start();
    Thread.sleep(2000);
    long sent = 0;
    try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
      for (int s = 0; s < sessions; s++) {
        start(producer, run + "-s" + s);
      }
      producer.flush();
      Thread.sleep(3000); // every session routed before its first turn
      long interval = 1_000_000_000L / rate;
      long begin = System.nanoTime();
      while (System.nanoTime() - begin < seconds * 1_000_000_000L) {
        if (sent == rate * 3L) {
          m.measuring.set(true); // after 3 s of warm-up
        }
        turn(producer, run + "-s" + (sent % sessions), (int) (sent / sessions), m);
        sent++;
        long wait = begin + sent * interval - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
      producer.flush();
    }
    m.await(sent, Duration.ofSeconds(60));
    m.stop.set(true);
    consumer.join();
    return String.format("| %,d | %d | %d / %d | %d / %d | %d / %d | %d / %d | %d of %d |", sessions, rate,
        m.routerHop.getValueAtPercentile(50), m.routerHop.getValueAtPercentile(99),
        m.processorHop.getValueAtPercentile(50), m.processorHop.getValueAtPercentile(99),
        m.kafkaHops.getValueAtPercentile(50), m.kafkaHops.getValueAtPercentile(99),
        m.endToEnd.getValueAtPercentile(50), m.endToEnd.getValueAtPercentile(99), m.answered.get(), sent);
  }

  /** {@code turns} user turns at once over {@code sessions} routed sessions; answered turns per second. */
  private static String burst(String bootstrap, int sessions, int turns) throws Exception {
    String run = "b" + System.nanoTime() % 100_000;
    Measure m = new Measure(run);
    Thread consumer = new Thread(() -> m.consume(bootstrap));
    consumer.start();
    Thread.sleep(2000);
    long begin;
    try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
      for (int s = 0; s < sessions; s++) {
        start(producer, run + "-s" + s);
      }
      producer.flush();
      Thread.sleep(3000);
      begin = System.nanoTime();
      for (int i = 0; i < turns; i++) {
        turn(producer, run + "-s" + (i % sessions), i / sessions, m);
      }
      producer.flush();
    }
    m.await(turns, Duration.ofSeconds(180));
    double perSecond = m.answered.get() / ((m.lastAnswerNanos.get() - begin) / 1e9);
    m.stop.set(true);
    consumer.join();
    return String.format("%.0f (%d of %d answered)", perSecond, m.answered.get(), turns);
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
        Serdes.String().serializer(), Serdes.ByteArray().serializer());
  }

  private static void start(KafkaProducer<String, byte[]> producer, String session) {
    producer.send(new ProducerRecord<>(Topics.SESSIONS.name(), session, AvroSerde.of(SessionEvent.class).encode(
        new SessionEvent(SessionStarted.newBuilder().setSessionId(session).setRoomName(session)
            .setParticipantIdentity("load").setRoomMetadata("{\"agent_id\":\"" + AGENT + "\"}")
            .setParticipantMetadata("{}").setParticipantAttributes(Map.of()).setStartedAt(Instant.now()).build()))));
  }

  private static void turn(KafkaProducer<String, byte[]> producer, String session, int index, Measure m) {
    String turnId = session + "#" + index;
    Instant now = Instant.now();
    m.sentAt.put(turnId, System.currentTimeMillis());
    producer.send(new ProducerRecord<>(Topics.USER_TURNS.name(), session, AvroSerde.of(UserEvent.class).encode(
        new UserEvent(UserTurn.newBuilder().setSessionId(session).setTurnId(turnId).setTurnIndex(index)
            .setTranscript("my login is broken").setSpeechStartedAt(now).setSpeechStoppedAt(now).setTranscribedAt(now)
            .setSttProvider("load").build()))));
  }

  /** What one run measured, from record timestamps and receive times. */
  private static final class Measure {
    final String run;
    final Histogram routerHop = new Histogram(120_000, 3);
    final Histogram processorHop = new Histogram(120_000, 3);
    final Histogram kafkaHops = new Histogram(120_000, 3);
    final Histogram endToEnd = new Histogram(120_000, 3);
    final Map<String, Long> sentAt = new ConcurrentHashMap<>();
    final Map<String, Long> userTurnAt = new ConcurrentHashMap<>();
    final Map<String, Long> routedAt = new ConcurrentHashMap<>();
    final Map<String, Long> llmMs = new ConcurrentHashMap<>();
    final AtomicLong answered = new AtomicLong();
    final AtomicLong lastAnswerNanos = new AtomicLong();
    final AtomicBoolean measuring = new AtomicBoolean();
    final AtomicBoolean stop = new AtomicBoolean();

    Measure(String run) {
      this.run = run;
    }

    void consume(String bootstrap) {
      try (var consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.GROUP_ID_CONFIG, "bench-" + run, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
          ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10), Serdes.String().deserializer(),
          Serdes.ByteArray().deserializer())) {
        consumer.subscribe(List.of(Topics.USER_TURNS.name(), Topics.agent(AGENT).name(), Topics.AGENT_REPLIES.name()));
        while (!stop.get()) {
          for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(10))) {
            if (record.key() == null || !record.key().startsWith(run + "-")) {
              continue;
            }
            long received = System.currentTimeMillis();
            if (record.topic().equals(Topics.USER_TURNS.name())) {
              if (AvroSerde.of(UserEvent.class).decode(record.value()).getEvent() instanceof UserTurn t) {
                userTurnAt.put(t.getTurnId(), record.timestamp());
              }
            } else if (record.topic().equals(Topics.AGENT_REPLIES.name())) {
              Object event = AvroSerde.of(AgentReply.class).decode(record.value()).getEvent();
              if (event instanceof AgentReplyChunk c && c.getChunkIndex() == 0) {
                record(c.getTurnId(), record.timestamp(), received);
              } else if (event instanceof AgentTurn t) {
                answered.incrementAndGet();
                lastAnswerNanos.set(System.nanoTime());
              }
            } else if (AvroSerde.of(RoutedEvent.class).decode(record.value()).getEvent() instanceof UserTurn t) {
              routedAt.put(t.getTurnId(), record.timestamp());
            }
          }
        }
      }
    }

    private void record(String turnId, long chunkAt, long received) {
      Long sent = sentAt.get(turnId);
      Long user = userTurnAt.get(turnId);
      Long routed = routedAt.get(turnId);
      if (!measuring.get() || sent == null || user == null || routed == null) {
        return;
      }
      long router = Math.max(0, routed - user);
      long processor = Math.max(0, chunkAt - routed);
      routerHop.recordValue(router);
      processorHop.recordValue(processor);
      // Kafka's share: the producer-to-broker hop of the user turn, the router hop, and the delivery of the
      // first sentence downstream; the processor's own work (and the LLM call) is the processor hop.
      kafkaHops.recordValue(Math.max(0, (user - sent) + router + (received - chunkAt)));
      endToEnd.recordValue(Math.max(0, received - sent));
    }

    void await(long expected, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (answered.get() < expected && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    }
  }
}
