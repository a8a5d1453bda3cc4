package dev.parley.bench;

import dev.parley.schemas.TurnId;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.events.RoutedEvent;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserTurn;
import dev.parley.localstack.KafkaBroker;
import dev.parley.router.RouterConfig;
import dev.parley.router.RouterStream;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
 * How much latency router-stream adds and how many events per second it routes, under each
 * processing guarantee, on a real broker on this machine.
 *
 * <pre>./parley bench router [rate msg/s] [seconds] [burst events]</pre>
 *
 * Router-added latency: routed record timestamp (set when the router forwards) minus the input
 * record timestamp (set when the producer sent it). End-to-end: when a downstream consumer
 * received the routed record, minus the same input timestamp (two Kafka hops plus routing).
 */
public final class RouterBench {
  private static final List<String> AGENTS =
      List.of("support-agent-v1", "sales-agent-v1", "onboarding-agent-v1", "pte-interview-agent-v1");
  private static final List<String> PURPOSES = List.of("support", "sales", "onboarding", "interview");

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int burst = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
    Path dir = Files.createTempDirectory("parley-router-bench");
    System.out.printf("router-stream benchmark: %d turns/s for %d s (first 3 s warm-up), then a burst of %d turns;"
        + " 100 sessions over 4 agents; broker and router share this machine's %d cores%n", rate, seconds, burst,
        Runtime.getRuntime().availableProcessors());
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0)) {
      prepare(broker.bootstrapServers());
      List<String> rows = new ArrayList<>();
      for (String guarantee : List.of(RouterConfig.AT_LEAST_ONCE, RouterConfig.EXACTLY_ONCE)) {
        rows.add(run(broker.bootstrapServers(), guarantee, dir, rate, seconds, burst));
      }
      System.out.println();
      System.out.println("| guarantee | router-added p50 / p99 (ms) | end-to-end p50 / p99 (ms) | paced turns | burst events/s |");
      System.out.println("|---|---|---|---|---|");
      rows.forEach(System.out::println);
    }
    System.exit(0);
  }

  private static void prepare(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
      AGENTS.forEach(a -> topics.add(Topics.agent(a)));
      new TopicProvisioner(admin, (short) 1).ensure(topics);
    }
    try (var producer = new KafkaProducer<>(producerConfig(bootstrap), Serdes.String().serializer(),
        Topics.AGENT_CONFIGS.valueSerde().serializer())) {
      for (String agent : AGENTS) {
        producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), agent, AgentConfigSnapshot.newBuilder()
            .setAgentId(agent).setTenantId("bench").setVersion(1).setStatus(ConfigStatus.ACTIVE).setConfigJson("{}")
            .setUpdatedAt(Instant.now()).build())).get();
      }
    }
  }

  private static String run(String bootstrap, String guarantee, Path dir, int rate, int seconds, int burst)
      throws Exception {
    String run = guarantee.substring(0, 4) + "-" + System.nanoTime();
    RouterConfig config = new RouterConfig(bootstrap, "bench-router-" + run, guarantee,
        guarantee.equals(RouterConfig.EXACTLY_ONCE) ? 10 : 100, 1, dir.resolve("state-" + run),
        Duration.ofSeconds(60), Duration.ofMinutes(10), (short) 1, "", RouterConfig.DEFAULT_FAILOVER_MS);
    Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
    RouterStream streams = RouterStream.start(config, admin);
    if (!streams.awaitRunning(Duration.ofSeconds(60))) {
      throw new IllegalStateException("the router did not start within 60 s: " + streams.health());
    }
    Histogram routerAdded = new Histogram(60_000, 3);
    Histogram endToEnd = new Histogram(60_000, 3);
    AtomicLong received = new AtomicLong();
    AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE);
    AtomicBoolean stop = new AtomicBoolean();
    Thread consumer = new Thread(() -> consume(bootstrap, run, routerAdded, endToEnd, received, measureFrom, stop));
    consumer.start();

    try (var sessions = new KafkaProducer<>(producerConfig(bootstrap), Serdes.String().serializer(),
        Topics.SESSIONS.valueSerde().serializer());
        var turns = new KafkaProducer<>(producerConfig(bootstrap), Serdes.String().serializer(),
            Topics.USER_TURNS.valueSerde().serializer())) {
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        String id = run + "-s" + i;
        ids.add(id);
        sessions.send(new ProducerRecord<>(Topics.SESSIONS.name(), id, new SessionEvent(SessionStarted.newBuilder()
            .setSessionId(id).setRoomName(id).setParticipantIdentity("caller")
            .setRoomMetadata("{\"purpose\":\"" + PURPOSES.get(i % 4) + "\"}").setStartedAt(Instant.now()).build())));
      }
      sessions.flush();
      Thread.sleep(1000);

      long intervalNanos = 1_000_000_000L / rate;
      long start = System.nanoTime();
      int sent = 0;
      Map<String, Integer> turnIndex = new HashMap<>();
      while (System.nanoTime() - start < seconds * 1_000_000_000L) {
        if (measureFrom.get() == Long.MAX_VALUE && System.nanoTime() - start > 3_000_000_000L) {
          measureFrom.set(System.currentTimeMillis());
        }
        send(turns, ids.get(sent % ids.size()), turnIndex);
        sent++;
        long next = start + sent * intervalNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
      }
      awaitCount(received, sent, Duration.ofSeconds(60));
      long paced = received.get();

      received.set(0);
      measureFrom.set(Long.MAX_VALUE);
      long burstStart = System.nanoTime();
      for (int i = 0; i < burst; i++) {
        send(turns, ids.get(i % ids.size()), turnIndex);
      }
      turns.flush();
      awaitCount(received, burst, Duration.ofSeconds(120));
      double burstRate = burst / ((System.nanoTime() - burstStart) / 1e9);
      stop.set(true);
      consumer.join();
      streams.close(Duration.ofSeconds(10));
      admin.close();
      return String.format("| %s | %.1f / %.1f | %.1f / %.1f | %d | %.0f |", guarantee,
          routerAdded.getValueAtPercentile(50) / 1.0, routerAdded.getValueAtPercentile(99) / 1.0,
          endToEnd.getValueAtPercentile(50) / 1.0, endToEnd.getValueAtPercentile(99) / 1.0, paced, burstRate);
    }
  }

  private static void send(KafkaProducer<String, UserEvent> turns, String session, Map<String, Integer> turnIndex) {
    int index = turnIndex.merge(session, 1, Integer::sum);
    long now = System.currentTimeMillis();
    Instant at = Instant.ofEpochMilli(now);
    turns.send(new ProducerRecord<>(Topics.USER_TURNS.name(), null, now, session, new UserEvent(UserTurn.newBuilder()
        .setSessionId(session).setTurnId(TurnId.line(session, index).toString()).setTurnIndex(index).setTranscript("turn " + index)
        .setSpeechStartedAt(at).setSpeechStoppedAt(at).setTranscribedAt(at).build())));
  }

  private static void consume(String bootstrap, String run, Histogram routerAdded, Histogram endToEnd,
      AtomicLong received, AtomicLong measureFrom, AtomicBoolean stop) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-consumer-" + run);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (var consumer = new KafkaConsumer<>(config, Serdes.String().deserializer(),
        AvroSerde.of(RoutedEvent.class).deserializer())) {
      consumer.subscribe(AGENTS.stream().map(a -> Topics.agent(a).name()).toList());
      while (!stop.get()) {
        for (ConsumerRecord<String, RoutedEvent> record : consumer.poll(Duration.ofMillis(50))) {
          if (!record.key().startsWith(run) || !(record.value().getEvent() instanceof UserTurn turn)) {
            continue;
          }
          long sentAt = turn.getTranscribedAt().toEpochMilli();
          received.incrementAndGet();
          if (sentAt >= measureFrom.get()) {
            routerAdded.recordValue(Math.max(0, record.timestamp() - sentAt));
            endToEnd.recordValue(Math.max(0, System.currentTimeMillis() - sentAt));
          }
        }
      }
    }
  }

  private static void awaitCount(AtomicLong counter, long expected, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (counter.get() < expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private static Map<String, Object> producerConfig(String bootstrap) {
    return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 0,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
  }
}
