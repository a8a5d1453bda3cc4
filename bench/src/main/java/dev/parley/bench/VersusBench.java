package dev.parley.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.egress.EgressMain;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.ingress.IngressMain;
import dev.parley.insights.SessionLog;
import dev.parley.insights.SessionTimeline;
import dev.parley.insights.Stage;
import dev.parley.launcher.ListeningCaller;
import dev.parley.livekit.AudioPublication;
import dev.parley.livekit.CallerTokens;
import dev.parley.livekit.RoomParticipant;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.KafkaBroker;
import dev.parley.localstack.LiveKitServer;
import dev.parley.localstack.NetworkNamespace;
import dev.parley.processor.ProcessorMain;
import dev.parley.router.RouterMain;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import dev.parley.speech.MoonshineStt;
import dev.parley.speech.SpeechProviders;
import dev.parley.speech.TextToSpeech;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;

/**
 * {@code ./parley bench versus}: Parley and LiveKit Agents side by side on the same LiveKit server, the same
 * providers (one OpenAI-compatible stand-in serving speech-to-text, a paced LLM and the voice) and the same
 * callers: N simulated callers at once, each playing the same recorded lines, each measuring at the caller
 * the time from the end of its speech to the agent's first audio. Per framework and N: voice to voice p50 /
 * p95, CPU seconds per session-minute and memory per session over all of that framework's processes, and
 * the largest N whose p95 stays within 1.5x of one caller's. Runs inside a network namespace of its own
 * (LiveKit's Python SDK, like its Node one, gathers no loopback candidates).
 */
public final class VersusBench {
  static final List<String> LINES = List.of("Hi, I was charged twice for my subscription this month.",
      "It was on the third, and again on the fifth.", "Great, thank you so much.");
  static final String AGENT = "versus-support";
  static final int ENDPOINTING_MS = 500;

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    if (!options.inside) {
      System.exit(outside(args));
    }
    inside(options);
    System.exit(0);
  }

  /** Makes the namespace, runs this bench again inside it, and removes the namespace. */
  private static int outside(String[] args) throws Exception {
    if (!NetworkNamespace.available()) {
      System.err.println("bench versus: needs root and iproute2 (ip netns) for a network namespace of its own");
      return 2;
    }
    try (NetworkNamespace ns = NetworkNamespace.create("parley-versus-" + UUID.randomUUID().toString().substring(0, 6))) {
      List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
          "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.parley.events", "-cp", System.getProperty("java.class.path"),
          VersusBench.class.getName(), "--inside"));
      command.addAll(List.of(args));
      Process bench = new ProcessBuilder(ns.command(command)).inheritIO().start();
      return bench.waitFor();
    }
  }

  private static void inside(Options options) throws Exception {
    Path dir = Path.of(".parley", "bench", "versus-" + UUID.randomUUID().toString().substring(0, 6)).toAbsolutePath();
    Files.createDirectories(dir);
    Map<String, String> env = new HashMap<>(System.getenv());
    env.putAll(dev.parley.launcher.Defaults.localModels(System.getenv()));
    System.out.printf("versus: sessions %s, %d turns each, LLM stand-in first token %d ms then %.0f words/s;"
        + " logs in %s%n", options.sessions, LINES.size(), options.ttftMs, options.tokensPerSecond, dir);
    TextToSpeech callerVoice = SpeechProviders.openLocal(SpeechProviders.CALLER_VOICE, env);
    List<byte[]> lines = new ArrayList<>();
    for (String line : LINES) {
      lines.add(callerVoice.synthesize(line, 1.0));
    }
    AgentConfig seed = SeedAgents.all().stream().filter(a -> a.agentId().equals("support-agent-v1")).findFirst()
        .orElseThrow();
    Map<String, List<Level>> results = new LinkedHashMap<>();
    try (KafkaBroker kafka = KafkaBroker.start(dir.resolve("kafka"), 0);
        LiveKitServer livekit = LiveKitServer.start(dir.resolve("livekit"), 0);
        MoonshineStt ears = new MoonshineStt(Path.of(required(env, "PARLEY_MOONSHINE_DIR")));
        OpenAiStandIn standIn = new OpenAiStandIn(FreePorts.pick(), ears,
            SpeechProviders.openLocal(SpeechProviders.DEFAULT_LOCAL_VOICE, env), options.ttftMs,
            options.tokensPerSecond)) {
      if (options.frameworks.contains("parley")) {
        try (ParleySide parley = ParleySide.start(kafka, livekit, standIn, seed, env, dir)) {
          results.put("parley", run("parley", parley.agentName, parley::pids, parley::names, livekit, lines, options,
              parley.metadata()));
          parley.kafkaShare(results.get("parley"));
        }
      }
      if (options.frameworks.contains("livekit-agents")) {
        try (LiveKitAgentsSide agents = LiveKitAgentsSide.start(livekit, standIn, seed, dir)) {
          results.put("livekit-agents", run("livekit-agents", agents.agentName, agents::pids, Map::of, livekit, lines,
              options, "{}"));
        }
      }
      System.out.printf("stand-in served %d transcriptions, %d completions, %d speeches%n", standIn.transcriptions.get(),
          standIn.completions.get(), standIn.speeches.get());
    }
    report(results, options);
  }

  private static String required(Map<String, String> env, String name) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException(name + " is not set and .parley has no such file: run ./parley setup");
    }
    return value;
  }

  /** One framework at one N: the callers' voice to voice figures and what the framework's processes used. */
  record Level(int sessions, List<Long> voiceToVoice, int unanswered, double cpuSecondsPerSessionMinute,
      double memoryPerSessionMb, double idleMemoryMb, List<Long> kafkaShare, Instant from, Instant to) {
    long p(int percentile) {
      return percentile(voiceToVoice, percentile);
    }
  }

  private static List<Level> run(String framework, String agentName, java.util.function.Supplier<List<Long>> pids,
      java.util.function.Supplier<Map<Long, String>> names, LiveKitServer livekit, List<byte[]> lines, Options options,
      String metadata) throws Exception {
    CallerTokens tokens = new CallerTokens(LiveKitServer.API_KEY, LiveKitServer.API_SECRET, agentName, 3600);
    List<Level> levels = new ArrayList<>();
    call(framework + "-warmup", tokens, livekit, lines.subList(0, 1), metadata); // JIT, model loads, process pools
    for (int n : options.sessions) {
      Thread.sleep(2000);
      ProcessStats before = ProcessStats.of(pids.get());
      MemorySampler sampler = new MemorySampler(pids);
      long started = System.nanoTime();
      Instant from = Instant.now();
      ExecutorService callers = Executors.newFixedThreadPool(n);
      List<Future<Call>> calls = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String id = framework + "-" + n + "-" + i;
        int stagger = i;
        calls.add(callers.submit(() -> {
          Thread.sleep(stagger * 150L); // callers arrive over a moment, as calls do, not in one instant
          return call(id, tokens, livekit, lines, metadata);
        }));
      }
      List<Long> v2v = new ArrayList<>();
      int unanswered = 0;
      double sessionMinutes = 0;
      for (Future<Call> f : calls) {
        Call c = f.get(15, TimeUnit.MINUTES);
        v2v.addAll(c.voiceToVoice);
        unanswered += c.unanswered;
        sessionMinutes += c.seconds / 60.0;
      }
      callers.shutdown();
      ProcessStats after = ProcessStats.of(pids.get());
      sampler.stop();
      double cpu = sampler.cpuSince(before, after);
      Level level = new Level(n, v2v, unanswered, cpu / Math.max(sessionMinutes, 1e-9),
          Math.max(0, sampler.peakMb() - before.memoryMb()) / n, before.memoryMb(), new ArrayList<>(), from, Instant.now());
      levels.add(level);
      System.out.printf(Locale.ROOT, "%s, %d session(s): voice to voice p50 %d / p95 %d ms over %d turns (%d"
          + " unanswered); CPU %.1f s per session-minute; memory (PSS) %.0f MB per session above %.0f MB idle; %.0f s%n",
          framework, n, level.p(50), level.p(95), v2v.size(), unanswered, level.cpuSecondsPerSessionMinute,
          level.memoryPerSessionMb, level.idleMemoryMb, (System.nanoTime() - started) / 1e9);
      for (Map.Entry<Long, String> named : names.get().entrySet()) { // what each process added per session
        System.out.printf(Locale.ROOT, "  %s: %.1f MB per session above %.0f MB idle%n", named.getValue(),
            Math.max(0, sampler.peakMb(named.getKey()) - before.byPid().getOrDefault(named.getKey(), 0.0)) / n,
            before.byPid().getOrDefault(named.getKey(), 0.0));
      }
    }
    return levels;
  }

  record Call(List<Long> voiceToVoice, int unanswered, double seconds) {}

  /** One caller: joins, hears the greeting, says each line and times the agent's first audio after it. */
  private static Call call(String id, CallerTokens tokens, LiveKitServer livekit, List<byte[]> lines, String metadata)
      throws Exception {
    long start = System.nanoTime();
    ListeningCaller caller = new ListeningCaller(identity -> !identity.startsWith("caller-")); // the agent, whoever
    String token = tokens.issue("versus-" + id + "-" + UUID.randomUUID().toString().substring(0, 4),
        "caller-" + id, "Versus caller", metadata).token();
    List<Long> v2v = new ArrayList<>();
    int unanswered = 0;
    try (RoomParticipant participant = RoomParticipant.join(livekit.wsUrl(), token, caller, true, Duration.ofSeconds(30));
        AudioPublication mic = participant.publishAudio("microphone", Duration.ofSeconds(10))) {
      caller.awaitQuiet(Duration.ofSeconds(60)); // the greeting, then a second of silence
      for (byte[] speech : lines) {
        mic.write(speech);
        long speechEnd = System.currentTimeMillis() + speech.length / (AudioPublication.SAMPLE_RATE / 1000 * 2);
        caller.expectSpeechAfter(speechEnd);
        long firstAudio = caller.awaitAgentAudio(Duration.ofSeconds(60));
        if (firstAudio < 0) {
          unanswered++;
          continue;
        }
        v2v.add(firstAudio - speechEnd);
        caller.awaitQuiet(Duration.ofSeconds(60));
        Thread.sleep(500); // the caller takes a breath before answering
      }
    }
    return new Call(v2v, unanswered, (System.nanoTime() - start) / 1e9);
  }

  /**
   * CPU seconds and memory of a set of processes, read from /proc. Memory is the proportional set size
   * (PSS: a page shared by k processes counts 1/k in each), so a framework that forks workers from one
   * parent is not charged its shared libraries once per process.
   */
  record ProcessStats(double memoryMb, Map<Long, Double> byPid, Map<Long, Double> cpuByPid) {
    static final double TICKS = 100.0; // USER_HZ on Linux

    static ProcessStats of(List<Long> pids) {
      double memory = 0;
      Map<Long, Double> byPid = new HashMap<>();
      Map<Long, Double> cpuByPid = new HashMap<>();
      for (long pid : pids) {
        try {
          String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          cpuByPid.put(pid, (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS); // utime, stime
          double pss = pssMb(pid);
          memory += pss;
          byPid.put(pid, pss);
        } catch (IOException | RuntimeException gone) {
          // the process ended between listing and reading
        }
      }
      return new ProcessStats(memory, byPid, cpuByPid);
    }

    private static double pssMb(long pid) throws IOException {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "smaps_rollup"))) {
        if (line.startsWith("Pss:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0; // kB
        }
      }
      return 0;
    }
  }

  /** The peak memory of the processes while a level runs, in all and per process (sampled every half second). */
  static final class MemorySampler {
    private volatile double peak;
    private final Map<Long, Double> peakByPid = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Long, Double> lastCpuByPid = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean running = true;
    private final Thread thread;

    MemorySampler(java.util.function.Supplier<List<Long>> pids) {
      thread = new Thread(() -> {
        while (running) {
          ProcessStats now = ProcessStats.of(pids.get());
          peak = Math.max(peak, now.memoryMb());
          now.byPid().forEach((pid, mb) -> peakByPid.merge(pid, mb, Math::max));
          lastCpuByPid.putAll(now.cpuByPid());
          try {
            Thread.sleep(500);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "memory-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
    }

    double peakMb() {
      return peak;
    }

    /**
     * CPU seconds used since {@code before}, process by process: a process that ended during the level (a
     * LiveKit Agents job) counts with what it had used when last seen, one that started counts whole.
     */
    double cpuSince(ProcessStats before, ProcessStats end) {
      Map<Long, Double> last = new HashMap<>(lastCpuByPid);
      last.putAll(end.cpuByPid());
      double used = 0;
      for (Map.Entry<Long, Double> e : last.entrySet()) {
        used += Math.max(0, e.getValue() - before.cpuByPid().getOrDefault(e.getKey(), 0.0));
      }
      return used;
    }

    double peakMb(long pid) {
      return peakByPid.getOrDefault(pid, 0.0);
    }
  }

  /** A process and all its descendants (LiveKit Agents runs each job in a child process). */
  static List<Long> tree(long root) {
    List<Long> all = new ArrayList<>();
    ProcessHandle.of(root).ifPresent(p -> {
      all.add(p.pid());
      p.descendants().forEach(d -> all.add(d.pid()));
    });
    return all;
  }

  /** Parley's side: router, processor, ingress and egress as their own processes, and its Kafka broker. */
  static final class ParleySide implements AutoCloseable {
    final String agentName = "parley-versus-" + UUID.randomUUID().toString().substring(0, 6);
    private final List<JavaProcess> processes = new ArrayList<>();
    private final KafkaBroker kafka;
    private final Instant started = Instant.now();

    private ParleySide(KafkaBroker kafka) {
      this.kafka = kafka;
    }

    static ParleySide start(KafkaBroker kafka, LiveKitServer livekit, OpenAiStandIn standIn, AgentConfig seed,
        Map<String, String> base, Path dir) throws Exception {
      ParleySide side = new ParleySide(kafka);
      try {
        ObjectNode json = AgentConfigJson.tree(seed.withDefaults());
        json.put("agent_id", AGENT).put("version", 1).put("status", "active");
        json.with("llm_config").put("provider", "openai").put("model", "stand-in");
        json.with("voice_config").put("provider", "openai").put("voice", "alloy");
        json.with("stt_config").put("provider", "openai").put("endpointing_ms", ENDPOINTING_MS);
        AgentConfig config = AgentConfigJson.fromTree(json);
        List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
        topics.add(Topics.agent(AGENT));
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()))) {
          new TopicProvisioner(admin, (short) 1).ensure(topics);
        }
        try (var producer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()),
            Serdes.String().serializer(), Topics.AGENT_CONFIGS.valueSerde().serializer())) {
          producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), AGENT, AgentConfigSnapshot.newBuilder()
              .setAgentId(AGENT).setTenantId(config.tenantId()).setVersion(1).setStatus(ConfigStatus.ACTIVE)
              .setConfigJson(AgentConfigJson.tree(config).toString()).setUpdatedAt(Instant.now()).build())).get();
        }
        Map<String, String> env = new HashMap<>(base);
        env.put("PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
        env.put("PARLEY_AGENTS", AGENT);
        env.put("PARLEY_ROUTER_STATE_DIR", dir.resolve("router").toString());
        env.put("PARLEY_ROUTER_APP_ID", "router-" + side.agentName);
        env.put("OPENAI_API_KEY", "stand-in");
        env.put("OPENAI_BASE_URL", standIn.baseUrl());
        env.put("LIVEKIT_URL", livekit.wsUrl());
        env.put("LIVEKIT_API_KEY", LiveKitServer.API_KEY);
        env.put("LIVEKIT_API_SECRET", LiveKitServer.API_SECRET);
        env.put("PARLEY_AGENT_NAME", side.agentName);
        System.out.println("parley: starting router-stream, llm-processor, tts-egress and ingress-worker...");
        side.processes.add(JavaProcess.start("router-stream", RouterMain.class.getName(), env,
            dir.resolve("router.log")).awaitLog("-> RUNNING", Duration.ofSeconds(120)));
        side.processes.add(JavaProcess.start("llm-processor", ProcessorMain.class.getName(), env,
            dir.resolve("processor.log")).awaitLog("took over partitions", Duration.ofSeconds(120)));
        side.processes.add(JavaProcess.start("tts-egress", EgressMain.class.getName(), env, dir.resolve("egress.log"))
            .awaitLog("tts-egress consuming", Duration.ofSeconds(120)));
        side.processes.add(JavaProcess.start("ingress-worker", IngressMain.class.getName(), env,
            dir.resolve("ingress.log")).awaitLog("registered as", Duration.ofSeconds(120)));
        Thread.sleep(2000); // the egress joins its consumer group
        return side;
      } catch (Exception | AssertionError e) {
        side.close();
        throw e;
      }
    }

    String metadata() {
      return "{\"agent_id\":\"" + AGENT + "\"}";
    }

    /** The voice ends by name, for their memory per session. */
    Map<Long, String> names() {
      Map<Long, String> names = new LinkedHashMap<>();
      processes.stream().filter(p -> p.name().equals("ingress-worker") || p.name().equals("tts-egress"))
          .forEach(p -> names.put(p.pid(), p.name()));
      return names;
    }

    List<Long> pids() {
      List<Long> pids = new ArrayList<>();
      processes.forEach(p -> pids.add(p.pid()));
      pids.add(kafka.pid());
      return pids;
    }

    /**
     * Kafka's share of each answered turn, read back from the topics: the router hop (transcript on Kafka ->
     * router -> the agent's topic: two Kafka hops and the routing), per level by when its sessions started.
     */
    void kafkaShare(List<Level> levels) {
      try (SessionLog log = new SessionLog(kafka.bootstrapServers())) {
        for (Level level : levels) {
          for (String session : log.recentSessions(AGENT, level.from(), level.to(), 10_000)) {
            SessionTimeline.of(session, log.session(session)).turns().forEach(t -> {
              Long hop = t.stages().get(Stage.ROUTING);
              if (hop != null && hop >= 0) {
                level.kafkaShare().add(hop);
              }
            });
          }
          System.out.printf("parley, %d session(s): Kafka's share of a turn (transcript -> router -> agent topic) p50"
              + " %d / p95 %d ms over %d turns%n", level.sessions(), percentile(level.kafkaShare(), 50),
              percentile(level.kafkaShare(), 95), level.kafkaShare().size());
        }
      }
    }

    @Override
    public void close() {
      Collections.reverse(processes);
      processes.forEach(JavaProcess::close);
    }
  }

  /** LiveKit Agents' side: the Python worker (bench/versus/livekit_agent.py) in its own virtual environment. */
  static final class LiveKitAgentsSide implements AutoCloseable {
    final String agentName = "lk-versus-" + UUID.randomUUID().toString().substring(0, 6);
    private Process worker;

    static LiveKitAgentsSide start(LiveKitServer livekit, OpenAiStandIn standIn, AgentConfig seed, Path dir)
        throws Exception {
      Path python = Path.of(".parley", "versus-env", "bin", "python").toAbsolutePath();
      if (!Files.isExecutable(python)) {
        throw new IllegalStateException(python + " is missing: run ./parley bench versus (it installs LiveKit Agents)");
      }
      LiveKitAgentsSide side = new LiveKitAgentsSide();
      ProcessBuilder builder = new ProcessBuilder(python.toString(), Path.of("bench", "versus", "livekit_agent.py")
          .toAbsolutePath().toString(), "start").redirectErrorStream(true)
          .redirectOutput(dir.resolve("livekit-agents.log").toFile());
      Map<String, String> env = builder.environment();
      env.put("LIVEKIT_URL", livekit.wsUrl());
      env.put("LIVEKIT_API_KEY", LiveKitServer.API_KEY);
      env.put("LIVEKIT_API_SECRET", LiveKitServer.API_SECRET);
      env.put("VERSUS_OPENAI_BASE_URL", standIn.baseUrl());
      env.put("VERSUS_AGENT_NAME", side.agentName);
      env.put("VERSUS_INSTRUCTIONS", seed.promptConfig().instructions());
      env.put("VERSUS_GREETING", seed.promptConfig().greeting());
      env.put("VERSUS_ENDPOINTING_MS", String.valueOf(ENDPOINTING_MS));
      env.put("HF_HUB_OFFLINE", "1");
      System.out.println("livekit-agents: starting the worker (" + python + " bench/versus/livekit_agent.py start)...");
      side.worker = builder.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (!Files.readString(dir.resolve("livekit-agents.log")).contains("registered worker")) {
        if (!side.worker.isAlive() || System.nanoTime() > deadline) {
          String log = Files.readString(dir.resolve("livekit-agents.log"));
          side.close();
          throw new IllegalStateException("the LiveKit Agents worker did not register:\n"
              + log.substring(Math.max(0, log.length() - 3000)));
        }
        Thread.sleep(200);
      }
      return side;
    }

    List<Long> pids() {
      return tree(worker.pid());
    }

    @Override
    public void close() throws InterruptedException {
      if (worker != null) {
        worker.descendants().forEach(ProcessHandle::destroy);
        worker.destroy();
        if (!worker.waitFor(15, TimeUnit.SECONDS)) {
          worker.descendants().forEach(ProcessHandle::destroyForcibly);
          worker.destroyForcibly();
        }
      }
    }
  }

  /** As the conversation benchmark computes it, but -1 when there is no value (no turn was answered). */
  static long percentile(List<Long> values, int p) {
    return values.isEmpty() ? -1 : ConversationBench.Report.percentile(values, p);
  }

  /** The table, and the last line. */
  private static void report(Map<String, List<Level>> results, Options options) {
    System.out.println();
    System.out.println("| framework | sessions | voice to voice p50 / p95 (ms) | turns (unanswered) | CPU s per"
        + " session-minute | memory (PSS) per session (MB) | Kafka's share p50 / p95 (ms) |");
    System.out.println("|---|---|---|---|---|---|---|");
    Map<String, Double> perCore = new HashMap<>();
    Map<String, Long> p50 = new HashMap<>();
    for (Map.Entry<String, List<Level>> e : results.entrySet()) {
      List<Level> levels = e.getValue();
      long single = levels.get(0).p(95);
      int largest = 0;
      for (Level level : levels) {
        System.out.printf(Locale.ROOT, "| %s | %d | %d / %d | %d (%d) | %.1f | %.0f | %s |%n", e.getKey(),
            level.sessions, level.p(50), level.p(95), level.voiceToVoice.size(), level.unanswered,
            level.cpuSecondsPerSessionMinute, level.memoryPerSessionMb, level.kafkaShare.isEmpty() ? "-"
                : percentile(level.kafkaShare, 50) + " / " + percentile(level.kafkaShare, 95));
        if (level.unanswered == 0 && level.p(95) <= 1.5 * single) {
          largest = Math.max(largest, level.sessions);
        }
      }
      perCore.put(e.getKey(), largest / (double) Runtime.getRuntime().availableProcessors());
      p50.put(e.getKey(), levels.get(0).p(50));
      System.out.printf(Locale.ROOT, "%s: the largest N whose p95 stays within 1.5x of one session's (%d ms): %d%n",
          e.getKey(), single, largest);
    }
    System.out.printf(Locale.ROOT, "versus: parley p50 %d ms, livekit-agents p50 %d ms, parley sessions/core %.1f,"
        + " livekit-agents sessions/core %.1f%n", p50.getOrDefault("parley", -1L),
        p50.getOrDefault("livekit-agents", -1L), perCore.getOrDefault("parley", 0.0),
        perCore.getOrDefault("livekit-agents", 0.0));
  }

  static final class Options {
    List<Integer> sessions = List.of(1, 2, 4, 8, 10, 25); // finer below 10: the knee of 2 cores is there
    long ttftMs = 300;
    double tokensPerSecond = 20;
    List<String> frameworks = List.of("parley", "livekit-agents");
    boolean inside;

    static Options parse(String[] args) {
      Options o = new Options();
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--inside" -> o.inside = true;
          case "--sessions" -> o.sessions = java.util.Arrays.stream(value(args, ++i, "--sessions").split(","))
              .map(s -> Integer.parseInt(s.strip())).sorted().toList();
          case "--ttft-ms" -> o.ttftMs = Long.parseLong(value(args, ++i, "--ttft-ms"));
          case "--tokens-per-second" -> o.tokensPerSecond = Double.parseDouble(value(args, ++i, "--tokens-per-second"));
          case "--only" -> o.frameworks = List.of(value(args, ++i, "--only"));
          default -> throw new IllegalArgumentException("bench versus: unknown option " + args[i] + "; usage: ./parley"
              + " bench versus [--sessions 1,2,4,8,10,25] [--ttft-ms 300] [--tokens-per-second 20] [--only parley|livekit-agents]");
        }
      }
      if (o.sessions.isEmpty() || o.sessions.get(0) < 1) {
        throw new IllegalArgumentException("bench versus: --sessions takes positive numbers, e.g. 1,10,25");
      }
      if (!List.of("parley", "livekit-agents").containsAll(o.frameworks)) {
        throw new IllegalArgumentException("bench versus: --only takes parley or livekit-agents");
      }
      return o;
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException("bench versus: " + option + " needs a value");
      }
      return args[i];
    }
  }
}
