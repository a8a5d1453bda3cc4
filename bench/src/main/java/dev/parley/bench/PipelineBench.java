package dev.parley.bench;

import dev.parley.schemas.TurnId;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
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
 * Kafka's share of a turn, under load, as deployed: router-stream and llm-processor as their own processes on a
 * real broker, an OpenAI-compatible stand-in as the LLM (it answers at once, so what is left is Parley and Kafka).
 * A load generator plays ingress: N sessions start, then user turns go out round-robin at a paced rate.
 *
 * <p>Each turn is followed hop by hop from record timestamps and the processor's {@code parley.received-at}
 * header: the router hop (user turn sent → routed copy written), the processor's fetch (routed copy → received by
 * llm-processor), the processor's own work (received → first sentence sent, the LLM call included) and the
 * delivery (first sentence sent → received downstream). Kafka's share is router hop + fetch + delivery. Every
 * level runs twice ({@code --runs}), so a reader sees the noise, with each process's CPU and GC pauses over the
 * measured window. Then the floor: the same topology with the router and the processor replaced by plain
 * consumers that forward records unchanged ({@link PassThrough}) — the pure Kafka cost on this machine. Last, the
 * per-topic scaling check (one processor instance against two, LLM ~100 ms a turn).
 *
 * <pre>./parley bench pipeline [--runs N] [--no-floor] [--no-scaling] [sessions...]   (default: 100 1000)</pre>
 *
 * The last line is {@code pipeline: kafka p50 N ms, p99 N ms at 100 sessions} (the worse of the runs).
 */
public final class PipelineBench {
  private static final String AGENT = "bench-pipeline-agent";

  /** The three topics a turn crosses: the caller's turns, the routed copies, the replies. */
  record Route(String turns, String routed, String replies) {
    static final Route PARLEY = new Route(Topics.USER_TURNS.name(), Topics.agent(AGENT).name(),
        Topics.AGENT_REPLIES.name());
    /** The floor's own topics (same partitions), so its unchanged records never reach Parley's services. */
    static final Route FLOOR = new Route("bench.floor.user-turns", "bench.floor.routed", "bench.floor.replies");
  }
  static final String TURN_HEADER = "parley.bench-turn";
  private static final int SECONDS = 20;
  private static final int MIN_WARM_UP_ROUNDS = 4;

  public static void main(String[] args) throws Exception {
    List<Integer> sessionCounts = new ArrayList<>();
    int runs = 2;
    boolean floor = true;
    boolean scaling = true;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--no-floor" -> floor = false;
        case "--no-scaling" -> scaling = false;
        default -> {
          try {
            sessionCounts.add(Integer.parseInt(args[i]));
          } catch (NumberFormatException e) {
            System.err.println("pipeline bench: unknown argument " + args[i]
                + "; usage: ./parley bench pipeline [--runs N] [--no-floor] [--no-scaling] [sessions...]");
            System.exit(2);
          }
        }
      }
    }
    if (sessionCounts.isEmpty()) {
      sessionCounts = List.of(100, 1000);
    }
    Path dir = Files.createTempDirectory("parley-pipeline-bench");
    System.out.printf("pipeline benchmark: broker, router, processor, LLM stand-in and load generator share this"
        + " machine's %d cores; %d run(s) per level, %d s each (logs in %s)%n",
        Runtime.getRuntime().availableProcessors(), runs, SECONDS, dir);
    List<Level> parley = new ArrayList<>();
    List<Level> passThrough = new ArrayList<>();
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0)) {
      String bootstrap = broker.bootstrapServers();
      Proc brokerProc = new Proc("broker", broker.pid(), broker.gcLog());
      int instantPort = FreePorts.pick();
      int slowPort = FreePorts.pick();
      try (JavaProcess instant = JavaProcess.start("llm-instant", StandInLlmServer.class.getName(), Map.of(),
          dir.resolve("llm-instant.log"), String.valueOf(instantPort), "0").awaitLog("STANDIN_READY",
          Duration.ofSeconds(30));
          JavaProcess slow = JavaProcess.start("llm-100ms", StandInLlmServer.class.getName(), Map.of(),
              dir.resolve("llm-slow.log"), String.valueOf(slowPort), "5").awaitLog("STANDIN_READY",
              Duration.ofSeconds(30))) {
        prepare(bootstrap, "http://127.0.0.1:" + instantPort + "/v1");
        System.out.println("Parley: router-stream and llm-processor");
        try (JavaProcess router = JavaProcess.start("router-stream", "dev.parley.router.RouterMain",
            gcLog(dir, "router"), Map.of("PARLEY_KAFKA_BOOTSTRAP", bootstrap, "PARLEY_ROUTER_STATE_DIR",
                dir.resolve("router").toString()), dir.resolve("router.log")).awaitLog("-> RUNNING",
                    Duration.ofSeconds(90));
            JavaProcess processor = processor(bootstrap, dir, "p0", 32)) {
          List<Proc> procs = List.of(brokerProc, Proc.of(router, dir, "router"), Proc.of(processor, dir, "processor-p0"),
              new Proc("llm stand-in", instant.pid(), null), Proc.self());
          parley.addAll(measure(bootstrap, false, procs, runs, sessionCounts));
        }
        if (floor) {
          System.out.println("floor: the router and the processor replaced by pass-through consumers");
          try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(Route.FLOOR.turns(), Route.FLOOR.routed(), Route.FLOOR.replies()).stream()
                .map(name -> new org.apache.kafka.clients.admin.NewTopic(name, Topics.USER_TURNS.partitions(),
                    (short) 1)).toList()).all().get();
          }
          try (JavaProcess a = passThrough(bootstrap, dir, "a", Route.FLOOR.turns(), Route.FLOOR.routed());
              JavaProcess b = passThrough(bootstrap, dir, "b", Route.FLOOR.routed(), Route.FLOOR.replies())) {
            List<Proc> procs = List.of(brokerProc, Proc.of(a, dir, "pass-through-a"), Proc.of(b, dir, "pass-through-b"),
                Proc.self());
            passThrough.addAll(measure(bootstrap, true, procs, runs, sessionCounts));
          }
        }
        System.out.println();
        System.out.println("Each hop p50 / p99 / p999 / max in ms over n turns (after 3 s of each run)."
            + " Kafka's share = router hop + processor fetch + delivery.");
        System.out.println();
        System.out.println("| stack | run | sessions | turns/s | n | router hop | processor fetch | processor work |"
            + " delivery | **Kafka's share** | end to end | answered |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        parley.forEach(l -> System.out.println(l.row("parley")));
        passThrough.forEach(l -> System.out.println(l.row("pass-through")));
        System.out.println();
        System.out.println("Per process over each measured window: CPU in % of one core, GC pauses count / total / max ms.");
        System.out.println();
        System.out.println("| stack | run | sessions | process | CPU % | threads | GC pauses |");
        System.out.println("|---|---|---|---|---|---|---|");
        parley.forEach(l -> l.processRows("parley").forEach(System.out::println));
        passThrough.forEach(l -> l.processRows("pass-through").forEach(System.out::println));

        if (scaling) {
          // scaling: the same agent topic with one, then two processor instances, each 8 turns at a time,
          // against an LLM that takes ~100 ms a turn (LLM-bound, as real agents are)
          prepare(bootstrap, "http://127.0.0.1:" + slowPort + "/v1");
          try (JavaProcess router = JavaProcess.start("router-stream", "dev.parley.router.RouterMain", Map.of(
              "PARLEY_KAFKA_BOOTSTRAP", bootstrap, "PARLEY_ROUTER_STATE_DIR", dir.resolve("router").toString()),
              dir.resolve("router-scaling.log")).awaitLog("-> RUNNING", Duration.ofSeconds(90))) {
            List<String> rows = new ArrayList<>();
            try (JavaProcess one = processor(bootstrap, dir, "s1", 8)) {
              Thread.sleep(6000);
              rows.add("| 1 | " + burst(bootstrap, 100, 2000) + " |");
              try (JavaProcess two = processor(bootstrap, dir, "s2", 8)) {
                Thread.sleep(12_000); // the group rebalances: each instance takes 3 of the 6 partitions
                rows.add("| 2 | " + burst(bootstrap, 100, 2000) + " |");
              }
            }
            System.out.println();
            System.out.println("| processor instances (8 turns at a time each, LLM ~100 ms/turn) | burst turns/s |");
            System.out.println("|---|---|");
            rows.forEach(System.out::println);
          }
        }
      }
    }
    System.out.println();
    Share worst = worst(parley, 100);
    Share floorWorst = worst(passThrough, 100);
    if (floorWorst != null && worst != null) {
      System.out.printf(Locale.ROOT, "floor (pass-through): kafka p50 %d ms, p99 %d ms at 100 sessions; Parley is %.1fx"
          + " the floor at p50, %.1fx at p99%n", floorWorst.p50(), floorWorst.p99(),
          worst.p50() / (double) Math.max(1, floorWorst.p50()), worst.p99() / (double) Math.max(1, floorWorst.p99()));
    }
    if (worst != null) {
      System.out.printf("pipeline: kafka p50 %d ms, p99 %d ms at 100 sessions%n", worst.p50(), worst.p99());
    }
    System.exit(0);
  }

  /** After the group joins and the warm-up, each level {@code runs} times, printed as it goes. */
  private static List<Level> measure(String bootstrap, boolean floor, List<Proc> procs, int runs,
      List<Integer> sessionCounts) throws Exception {
    Thread.sleep(5000);
    warmUp(bootstrap, floor, procs);
    List<Level> levels = new ArrayList<>();
    for (int run = 1; run <= runs; run++) {
      for (int sessions : sessionCounts) {
        Level level = paced(bootstrap, sessions, Math.min(200, sessions), SECONDS, floor, procs);
        level.run = run;
        levels.add(level);
        System.out.println("  run " + run + ", " + level.summary());
      }
    }
    return levels;
  }

  /**
   * Load until the JVMs' just-in-time compilers are done with the hot paths (not reported): 15 s rounds at 100
   * turns/s until the stack's CPU use stops falling (within 10 % of the round before), at least 4 and at most 6 rounds. Measured:
   * after one 15 s round the processes still used ~2.5× the CPU of the steady state and Kafka's share was 15 / 52 ms
   * against 2–3 / 9–12.
   */
  private static void warmUp(String bootstrap, boolean floor, List<Proc> procs) throws Exception {
    double previous = Double.MAX_VALUE;
    for (int round = 1; round <= 6; round++) {
      Level level = paced(bootstrap, 50, 100, 15, floor, procs);
      double cpu = level.processes.stream().filter(u -> !u.name().startsWith("load generator"))
          .mapToDouble(Proc.Usage::cpuPercent).sum();
      System.out.printf(Locale.ROOT, "  warm-up round %d (50 sessions, 100 turns/s, 15 s, not reported): services'"
          + " CPU %.0f %% of a core, Kafka's share p50 %d / p99 %d ms%n", round, cpu, level.p50(), level.p99());
      if (round >= MIN_WARM_UP_ROUNDS && cpu > previous * 0.9) {
        return;
      }
      previous = cpu;
    }
  }

  /** Kafka's share, p50 and p99 in ms. */
  record Share(long p50, long p99) {}

  /** The worse of the runs at {@code sessions} (highest p50 and highest p99), or null if none ran. */
  private static Share worst(List<Level> levels, int sessions) {
    List<Level> at = levels.stream().filter(l -> l.sessions == sessions).toList();
    if (at.isEmpty()) {
      return null;
    }
    return new Share(at.stream().mapToLong(Level::p50).max().orElse(0),
        at.stream().mapToLong(Level::p99).max().orElse(0));
  }

  private static List<String> gcLog(Path dir, String name) {
    return List.of("-Xlog:gc:file=" + dir.resolve(name + "-gc.log").toAbsolutePath() + ":uptime");
  }

  private static JavaProcess passThrough(String bootstrap, Path dir, String id, String from, String to) {
    return JavaProcess.start("pass-through-" + id, PassThrough.class.getName(), gcLog(dir, "pass-through-" + id),
        Map.of(), dir.resolve("pass-through-" + id + ".log"), bootstrap, from, to, "bench-pass-through-" + id)
        .awaitLog("PASS_THROUGH_READY", Duration.ofSeconds(30));
  }

  private static JavaProcess processor(String bootstrap, Path dir, String id, int threads) {
    return JavaProcess.start("llm-processor-" + id, "dev.parley.processor.ProcessorMain",
        gcLog(dir, "processor-" + id), Map.of(
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

  /**
   * Starts {@code sessions} sessions (not for the pass-through floor, which has no router), then sends turns
   * round-robin at {@code rate}/s for {@code seconds}; measured after the first 3 s.
   */
  private static Level paced(String bootstrap, int sessions, int rate, int seconds, boolean floor, List<Proc> procs)
      throws Exception {
    String run = "r" + System.nanoTime() % 100_000;
    Measure m = new Measure(run, floor ? Route.FLOOR : Route.PARLEY);
    Thread consumer = new Thread(() -> m.consume(bootstrap));
    consumer.start();
    Thread.sleep(2000);
    long sent = 0;
    Level level = new Level(sessions, rate);
    List<Proc.Sample> before = null;
    try (KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
      if (!floor) {
        for (int s = 0; s < sessions; s++) {
          start(producer, run + "-s" + s);
        }
        producer.flush();
        Thread.sleep(3000); // every session routed before its first turn
      }
      long interval = 1_000_000_000L / rate;
      long begin = System.nanoTime();
      while (System.nanoTime() - begin < seconds * 1_000_000_000L) {
        if (sent == rate * 3L) {
          m.measuring.set(true); // after 3 s of warm-up
          before = procs.stream().map(Proc::sample).toList();
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
    List<Proc.Sample> after = procs.stream().map(Proc::sample).toList();
    m.await(sent, Duration.ofSeconds(60));
    m.stop.set(true);
    consumer.join();
    level.measure = m;
    level.sent = sent;
    if (before != null) {
      for (int i = 0; i < procs.size(); i++) {
        level.processes.add(after.get(i).since(before.get(i)));
      }
    }
    return level;
  }

  /** {@code turns} user turns at once over {@code sessions} routed sessions; answered turns per second. */
  private static String burst(String bootstrap, int sessions, int turns) throws Exception {
    String run = "b" + System.nanoTime() % 100_000;
    Measure m = new Measure(run, Route.PARLEY);
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
    String turnId = TurnId.line(session, index).toString();
    Instant now = Instant.now();
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(m.route.turns(), session,
        AvroSerde.of(UserEvent.class).encode(new UserEvent(UserTurn.newBuilder().setSessionId(session)
            .setTurnId(turnId).setTurnIndex(index).setTranscript("my login is broken").setSpeechStartedAt(now)
            .setSpeechStoppedAt(now).setTranscribedAt(now).setSttProvider("load").build())));
    record.headers().add(TURN_HEADER, turnId.getBytes(StandardCharsets.UTF_8));
    m.sentAt.put(turnId, System.currentTimeMillis());
    producer.send(record);
  }

  /** What one run measured, from record timestamps, the processor's received-at header and receive times. */
  private static final class Measure {
    final String run;
    final Route route;
    final boolean floor;
    final Histogram routerHop = new Histogram(120_000, 3);
    final Histogram fetchHop = new Histogram(120_000, 3);
    final Histogram workHop = new Histogram(120_000, 3);
    final Histogram deliveryHop = new Histogram(120_000, 3);
    final Histogram kafkaHops = new Histogram(120_000, 3);
    final Histogram endToEnd = new Histogram(120_000, 3);
    final Map<String, Long> sentAt = new ConcurrentHashMap<>();
    final Map<String, Long> userTurnAt = new ConcurrentHashMap<>();
    final Map<String, Long> routedAt = new ConcurrentHashMap<>();
    final AtomicLong answered = new AtomicLong();
    final AtomicLong lastAnswerNanos = new AtomicLong();
    final AtomicBoolean measuring = new AtomicBoolean();
    final AtomicBoolean stop = new AtomicBoolean();

    Measure(String run, Route route) {
      this.run = run;
      this.route = route;
      this.floor = route == Route.FLOOR;
    }

    void consume(String bootstrap) {
      try (var consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.GROUP_ID_CONFIG, "bench-" + run, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest",
          // a fetch is answered as soon as a record arrives; a short wait would only make the broker busier
          ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500), Serdes.String().deserializer(),
          Serdes.ByteArray().deserializer())) {
        consumer.subscribe(List.of(route.turns(), route.routed(), route.replies()));
        while (!stop.get()) {
          for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
            if (record.key() == null || !record.key().startsWith(run + "-")) {
              continue;
            }
            long received = System.currentTimeMillis();
            if (floor) {
              passedThrough(record, received);
            } else {
              routed(record, received);
            }
          }
        }
      }
    }

    private void routed(ConsumerRecord<String, byte[]> record, long received) {
      if (record.topic().equals(Topics.USER_TURNS.name())) {
        if (AvroSerde.of(UserEvent.class).decode(record.value()).getEvent() instanceof UserTurn t) {
          userTurnAt.put(t.getTurnId(), record.timestamp());
        }
      } else if (record.topic().equals(Topics.AGENT_REPLIES.name())) {
        Object event = AvroSerde.of(AgentReply.class).decode(record.value()).getEvent();
        if (event instanceof AgentReplyChunk c && c.getChunkIndex() == 0) {
          record(c.getTurnId(), record.timestamp(), header(record, PassThrough.RECEIVED_AT), received);
        } else if (event instanceof AgentTurn) {
          answered.incrementAndGet();
          lastAnswerNanos.set(System.nanoTime());
        }
      } else if (AvroSerde.of(RoutedEvent.class).decode(record.value()).getEvent() instanceof UserTurn t) {
        routedAt.put(t.getTurnId(), record.timestamp());
      }
    }

    /** The floor: the same user-turn record, forwarded unchanged, seen on each topic (told apart by its header). */
    private void passedThrough(ConsumerRecord<String, byte[]> record, long received) {
      String turnId = new String(record.headers().lastHeader(TURN_HEADER).value(), StandardCharsets.UTF_8);
      if (record.topic().equals(route.turns())) {
        userTurnAt.put(turnId, record.timestamp());
      } else if (record.topic().equals(route.replies())) {
        record(turnId, record.timestamp(), header(record, PassThrough.RECEIVED_AT), received);
        answered.incrementAndGet();
        lastAnswerNanos.set(System.nanoTime());
      } else {
        routedAt.put(turnId, record.timestamp());
      }
    }

    private static long header(ConsumerRecord<?, ?> record, String name) {
      var header = record.headers().lastHeader(name);
      return header == null ? -1 : Long.parseLong(new String(header.value(), StandardCharsets.UTF_8));
    }

    private void record(String turnId, long chunkAt, long processorReceived, long received) {
      Long sent = sentAt.get(turnId);
      Long user = userTurnAt.get(turnId);
      Long routed = routedAt.get(turnId);
      if (!measuring.get() || sent == null || user == null || routed == null || processorReceived < 0) {
        return;
      }
      // the user turn's timestamp is set by the load generator's producer when it sends it: the router hop is
      // its trip to the broker, the router's fetch and its routing, up to the routed copy's send
      long router = Math.max(0, routed - sent);
      long fetch = Math.max(0, processorReceived - routed);
      long work = Math.max(0, chunkAt - processorReceived);
      long delivery = Math.max(0, received - chunkAt);
      routerHop.recordValue(router);
      fetchHop.recordValue(fetch);
      workHop.recordValue(work);
      deliveryHop.recordValue(delivery);
      kafkaHops.recordValue(router + fetch + delivery);
      endToEnd.recordValue(Math.max(0, received - sent));
    }

    void await(long expected, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (answered.get() < expected && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
    }
  }

  /** One level of one run: its measure and what each process spent meanwhile. */
  private static final class Level {
    final int sessions;
    final int rate;
    int run;
    long sent;
    Measure measure;
    final List<Proc.Usage> processes = new ArrayList<>();

    Level(int sessions, int rate) {
      this.sessions = sessions;
      this.rate = rate;
    }

    long p50() {
      return measure.kafkaHops.getValueAtPercentile(50);
    }

    long p99() {
      return measure.kafkaHops.getValueAtPercentile(99);
    }

    String summary() {
      return String.format(Locale.ROOT, "%,d sessions: Kafka's share p50 %d / p99 %d ms (n %d), end to end p50 %d"
          + " ms, %d of %d answered", sessions, p50(), p99(), measure.kafkaHops.getTotalCount(),
          measure.endToEnd.getValueAtPercentile(50), measure.answered.get(), sent);
    }

    String row(String stack) {
      Measure m = measure;
      return String.format(Locale.ROOT, "| %s | %d | %,d | %d | %d | %s | %s | %s | %s | **%s** | %s | %d of %d |", stack,
          run, sessions, rate, m.kafkaHops.getTotalCount(), hop(m.routerHop), hop(m.fetchHop), hop(m.workHop),
          hop(m.deliveryHop), hop(m.kafkaHops), hop(m.endToEnd), m.answered.get(), sent);
    }

    List<String> processRows(String stack) {
      return processes.stream().map(u -> String.format(Locale.ROOT, "| %s | %d | %,d | %s | %.0f | %d | %s |", stack,
          run, sessions, u.name(), u.cpuPercent(), u.threads(), u.gcPauses() < 0 ? "—"
              : u.gcPauses() + " / " + u.gcMillis() + " / " + (u.gcMaxMillis() < 0 ? "—" : u.gcMaxMillis())))
          .toList();
    }

    private static String hop(Histogram h) {
      return h.getValueAtPercentile(50) + " / " + h.getValueAtPercentile(99) + " / " + h.getValueAtPercentile(99.9)
          + " / " + h.getMaxValue();
    }
  }

  /** A process of the benchmark: its CPU time from /proc, its GC pauses from its GC log (or its MXBeans). */
  record Proc(String name, long pid, Path gcLog) {
    static Proc of(JavaProcess process, Path dir, String gcName) {
      return new Proc(process.name(), process.pid(), dir.resolve(gcName + "-gc.log"));
    }

    static Proc self() {
      return new Proc("load generator (this JVM)", ProcessHandle.current().pid(), null);
    }

    /** {@code pauses}: each GC pause from the log, or null when only totals are known (this JVM: no longest pause). */
    record Sample(String name, long nanos, long cpuTicks, int threads, long gcCount, double gcMillis,
        List<Double> pauses) {
      Usage since(Sample before) {
        double seconds = (nanos - before.nanos) / 1e9;
        double cpu = (cpuTicks - before.cpuTicks) / 100.0 / seconds * 100;
        if (gcCount < 0) {
          return new Usage(name, cpu, threads, -1, 0, 0);
        }
        List<Double> window = pauses == null ? List.of() : pauses.subList((int) Math.min(pauses.size(),
            before.gcCount), pauses.size());
        double max = pauses == null ? -1 : window.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        return new Usage(name, cpu, threads, gcCount - before.gcCount, Math.round(gcMillis - before.gcMillis),
            Math.round(max));
      }
    }

    record Usage(String name, double cpuPercent, int threads, long gcPauses, long gcMillis, long gcMaxMillis) {}

    Sample sample() {
      long ticks = 0;
      int threads = 0;
      try {
        String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
        threads = Integer.parseInt(f[17]);
      } catch (Exception e) {
        // gone or not Linux: no figure
      }
      if (pid == ProcessHandle.current().pid()) {
        long count = 0;
        long millis = 0;
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
          count += Math.max(0, gc.getCollectionCount());
          millis += Math.max(0, gc.getCollectionTime());
        }
        return new Sample(name, System.nanoTime(), ticks, threads, count, millis, null);
      }
      if (gcLog == null) {
        return new Sample(name, System.nanoTime(), ticks, threads, -1, 0, null);
      }
      List<Double> pauses = new ArrayList<>();
      try {
        for (String line : Files.readAllLines(gcLog)) {
          java.util.regex.Matcher pause = PAUSE.matcher(line);
          if (line.contains("Pause") && pause.find()) {
            pauses.add(Double.parseDouble(pause.group(1)));
          }
        }
      } catch (java.io.IOException e) {
        // not written yet
      }
      double total = pauses.stream().mapToDouble(Double::doubleValue).sum();
      return new Sample(name, System.nanoTime(), ticks, threads, pauses.size(), total, pauses);
    }

    private static final java.util.regex.Pattern PAUSE = java.util.regex.Pattern.compile("([0-9.]+)ms\\s*$");
  }
}
