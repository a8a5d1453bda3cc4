package dev.parley.launcher;

import dev.parley.config.SeedCommand;
import dev.parley.localstack.FerretDb;
import dev.parley.localstack.FreePorts;
import dev.parley.localstack.KafkaBroker;
import dev.parley.localstack.LiveKitServer;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code parley up}: starts the embedded local stack and keeps it running until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Start the embedded local stack (Kafka, FerretDB, LiveKit, config-service, router-stream,"
        + " llm-processor, tts-egress, ingress-worker) until Ctrl-C.")
final class UpCommand implements Callable<Integer> {
  @Option(names = "--data-dir", description = "Where the stack keeps its data (default: .parley/stack, or"
      + " .parley/stack-file with --agents, so that the two modes never see each other's agents).")
  Path dataDir;

  @Option(names = "--kafka-port", description = "Kafka port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
  int kafkaPort = 9092;

  @Option(names = "--mongo-port", description = "FerretDB (MongoDB wire) port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
  int mongoPort = 27017;

  @Option(names = "--api-port", description = "Admin API port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
  int apiPort = 8080;

  @Option(names = "--console-port", description = "Console port on 127.0.0.1: the agent-picker page, session replay,"
      + " analytics and what-if (default: ${DEFAULT-VALUE}).")
  int consolePort = 8090;

  @Option(names = "--livekit-port", description = "LiveKit server port on 127.0.0.1; ICE/TCP and UDP use the next two"
      + " (default: ${DEFAULT-VALUE}).")
  int livekitPort = 7880;

  @Option(names = "--agents", description = "Serve the agents in this YAML/JSON file (the Admin API's config"
      + " format) without MongoDB or the Admin API.")
  Path agentsFile;

  /** The file's first agent, suggested to chat with (file mode). */
  private String firstFileAgent;

  /** The agents on the local model: parley up is ready once the model has read their instructions. */
  private final List<String> localAgents = new ArrayList<>();

  private static boolean onTheLocalModel(dev.parley.agentconfig.AgentConfig agent) {
    String provider = agent.llmConfig() == null ? null : agent.llmConfig().provider();
    return (provider == null || provider.equals("local")) && agent.promptConfig().greeting() != null;
  }

  /** The real environment plus the keys of .env.local / .env (read when the stack starts). */
  private Map<String, String> environment = System.getenv();
  private final List<AutoCloseable> running = Collections.synchronizedList(new ArrayList<>());

  @Override
  public Integer call() throws Exception {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("\nstopping the local stack...");
      stopAll();
      stopped.countDown();
    }, "parley-stop"));
    try {
      start();
    } catch (RuntimeException e) {
      System.out.println("FAILED");
      System.err.println("\nparley up failed: " + e.getMessage());
      return 1;
    }
    Thread supervisor = new Thread(this::supervise, "parley-supervisor");
    supervisor.setDaemon(true);
    supervisor.start();
    stopped.await();
    return 0;
  }

  private void start() throws Exception {
    Progress progress = new Progress();
    DotEnv.Loaded dotenv = DotEnv.load(Path.of(""), System.getenv());
    dotenv.report().forEach(line -> System.out.println("  " + line + " (values not shown)"));
    Map<String, String> fromFiles = new java.util.HashMap<>(dotenv.environment());
    fromFiles.keySet().removeAll(System.getenv().keySet());
    environment = dotenv.environment();
    List<dev.parley.agentconfig.AgentConfig> fileAgents = null;
    AgentsFile.Contents fileContents = null;
    if (agentsFile != null) {
      progress.step("agents from " + agentsFile);
      fileContents = AgentsFile.read(agentsFile);
      fileAgents = fileContents.agents();
      firstFileAgent = fileAgents.get(0).agentId();
      progress.done(fileAgents.size() + " valid, routing " + (fileContents.rulesFromFile() ? "from the file"
          : "by the first word of each id, default " + fileAgents.get(0).agentId()));
    }
    if (dataDir == null) {
      dataDir = agentsFile != null ? Path.of(".parley", "stack-file") : Path.of(".parley", "stack");
    }
    Path logs = dataDir.resolve("logs");

    progress.step("Kafka broker (KRaft) on 127.0.0.1:" + kafkaPort);
    KafkaBroker broker = KafkaBroker.start(dataDir.resolve("kafka"), kafkaPort);
    running.add(broker);
    progress.done("pid " + broker.pid());

    progress.step("topics from the catalogue");
    List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
    Topics.all().forEach(t -> topics.add(Topics.deadLetters(t)));
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      List<String> created = new TopicProvisioner(admin, (short) 1).ensure(topics);
      progress.done(created.size() + " created, " + (topics.size() - created.size()) + " already there");
    }

    FerretDb mongo = null;
    if (fileAgents == null) {
      progress.step("FerretDB (MongoDB wire, SQLite on disk) on 127.0.0.1:" + mongoPort);
      mongo = FerretDb.start(dataDir.resolve("ferretdb"), mongoPort);
      running.add(mongo);
      progress.done(mongo.uri());
    }

    progress.step("LiveKit server (dev mode, loopback) on 127.0.0.1:" + livekitPort);
    LiveKitServer livekit = LiveKitServer.start(dataDir.resolve("livekit"), livekitPort);
    running.add(livekit);
    progress.done(livekit.wsUrl());

    String adminKey = adminKey();
    Map<String, String> env = new java.util.HashMap<>(Map.of("PARLEY_KAFKA_BOOTSTRAP", broker.bootstrapServers(),
        "PARLEY_MONGODB_URI", mongo == null ? "" : mongo.uri(), "PARLEY_ADMIN_API_KEY", adminKey,
        "PARLEY_CONFIG_PORT", String.valueOf(apiPort),
        "PARLEY_ROUTER_STATE_DIR", dataDir.resolve("router-state").toAbsolutePath().toString(),
        "PARLEY_ROUTER_INSTANCE_ID", "router-local",
        "PARLEY_ROUTER_HEALTH_PORT", String.valueOf(FreePorts.pick()),
        "PARLEY_PROCESSOR_HEALTH_PORT", String.valueOf(FreePorts.pick())));
    env.put("PARLEY_EGRESS_HEALTH_PORT", String.valueOf(FreePorts.pick()));
    env.put("PARLEY_INGRESS_HEALTH_PORT", String.valueOf(FreePorts.pick()));
    env.put("PARLEY_TOOL_RUNNER_HEALTH_PORT", String.valueOf(FreePorts.pick()));
    env.putAll(fromFiles); // keys from .env.local / .env reach every service, as the seed's own services read them
    if (fromFiles.containsKey("LIVEKIT_URL")) {
      System.out.println("  LIVEKIT_URL from a .env file is not used: parley up runs its own LiveKit server");
    }
    env.put("LIVEKIT_URL", livekit.wsUrl());
    env.put("LIVEKIT_API_KEY", LiveKitServer.API_KEY);
    env.put("LIVEKIT_API_SECRET", LiveKitServer.API_SECRET);
    env.putAll(Defaults.localModels(environment));
    Path web = Path.of("web", "dist");
    if (environment.get("PARLEY_WEB_DIR") == null && Files.exists(web.resolve("index.html")) && fileAgents == null) {
      env.put("PARLEY_WEB_DIR", web.toAbsolutePath().toString()); // the page needs config-service for its tokens
    }
    env.put("PARLEY_CONSOLE_PORT", String.valueOf(consolePort));
    env.put("PARLEY_TOKEN_URL", "http://127.0.0.1:" + apiPort + "/api/v1/livekit/token");

    if (fileAgents != null) {
      progress.step("publishing the file's agents to " + Topics.AGENT_CONFIGS.name());
      AgentsFile.Published published = AgentsFile.publish(fileContents, broker.bootstrapServers());
      fileAgents.stream().filter(UpCommand::onTheLocalModel).forEach(a -> localAgents.add(a.agentId()));
      progress.done(String.join(", ", published.served())
          + (published.archived().isEmpty() ? "" : "; archived, not in the file: " + published.archived())
          + (published.rulesRemoved().isEmpty() ? "" : "; rules removed: " + published.rulesRemoved()));
    } else {
      startAdminApi(progress, env, logs, adminKey);
    }
    progress.step("console (agent-picker page, session replay, analytics, what-if) on 127.0.0.1:" + consolePort);
    ServiceProcess console = service("console", "dev.parley.console.ConsoleMain", env, logs);
    console.awaitHealthy("http://127.0.0.1:" + consolePort + "/health", Duration.ofSeconds(90));
    progress.done("log " + console.log());
    startPipeline(progress, env, logs, livekit, broker, mongo);
  }

  private void startAdminApi(Progress progress, Map<String, String> env, Path logs, String adminKey) {
    progress.step("config-service (Admin API) on 127.0.0.1:" + apiPort);
    ServiceProcess config = service("config-service", "dev.parley.config.ConfigServiceMain", env, logs);
    config.awaitHealthy("http://127.0.0.1:" + apiPort + "/health", Duration.ofSeconds(90));
    progress.done("log " + config.log());

    // cloud engines for the seeds when their keys are in the environment, the offline ones otherwise
    SeedCommand.Providers providers = SeedCommand.cloudProviders(environment);
    progress.step("seed agents (" + providers.description() + ")");
    ByteArrayOutputStream seedOut = new ByteArrayOutputStream();
    boolean seeded = new SeedCommand("http://127.0.0.1:" + apiPort, adminKey,
        new PrintStream(seedOut, true, StandardCharsets.UTF_8), providers.adjust()).run();
    progress.done(seedLines(seedOut));
    if (!seeded) {
      throw new IllegalStateException("seeding failed:\n" + seedOut.toString(StandardCharsets.UTF_8));
    }
    for (dev.parley.agentconfig.AgentConfig seed : dev.parley.agentconfig.SeedAgents.all()) {
      try {
        dev.parley.agentconfig.AgentConfig seeded1 = dev.parley.agentconfig.AgentConfigJson.fromTree(
            (com.fasterxml.jackson.databind.node.ObjectNode) dev.parley.agentconfig.AgentConfigJson.MAPPER.readTree(
                providers.adjust().apply(dev.parley.agentconfig.AgentConfigJson.tree(seed).toString())));
        if (onTheLocalModel(seeded1)) {
          localAgents.add(seed.agentId());
        }
      } catch (java.io.IOException e) {
        // not waited for then
      }
    }
  }

  /** The seeding's last line: "Seed agents: N created, ...". */
  private static String seedLines(ByteArrayOutputStream seedOut) {
    String[] lines = seedOut.toString(StandardCharsets.UTF_8).strip().split("\n");
    return lines[lines.length - 1];
  }

  private void startPipeline(Progress progress, Map<String, String> env, Path logs, LiveKitServer livekit,
      KafkaBroker broker, FerretDb mongo) {

    progress.step("router-stream");
    ServiceProcess router = service("router-stream", "dev.parley.router.RouterMain", env, logs);
    router.awaitHealthy("http://127.0.0.1:" + env.get("PARLEY_ROUTER_HEALTH_PORT") + "/health",
        Duration.ofSeconds(90));
    progress.done("log " + router.log());

    progress.step("llm-processor (every agent; provider per agent config, seeds use the offline model)");
    ServiceProcess processor = service("llm-processor", "dev.parley.processor.ProcessorMain", env, logs);
    processor.awaitHealthy("http://127.0.0.1:" + env.get("PARLEY_PROCESSOR_HEALTH_PORT") + "/health",
        Duration.ofSeconds(90));
    progress.done("metrics http://127.0.0.1:" + env.get("PARLEY_PROCESSOR_HEALTH_PORT") + "/metrics");

    progress.step("tts-egress (the agents' voices)");
    ServiceProcess egress = service("tts-egress", "dev.parley.egress.EgressMain", env, logs);
    egress.awaitLog("tts-egress consuming", Duration.ofSeconds(60));
    progress.done("log " + egress.log());

    progress.step("ingress-worker (LiveKit agent 'parley': VAD, speech-to-text)");
    ServiceProcess ingress = service("ingress-worker", "dev.parley.ingress.IngressMain", env, logs);
    ingress.awaitLog("registered as", Duration.ofSeconds(60));
    progress.done("log " + ingress.log());

    progress.step("tool-runner (the agents' tools) and the example order desk for the support agent's order_status");
    ServiceProcess runner = service("tool-runner", "dev.parley.toolrunner.ToolRunnerMain", env, logs);
    runner.awaitHealthy("http://127.0.0.1:" + env.get("PARLEY_TOOL_RUNNER_HEALTH_PORT") + "/health",
        Duration.ofSeconds(90));
    String desk;
    if (portFree(dev.parley.toolrunner.OrderDesk.DEFAULT_PORT)) {
      ServiceProcess orders = service("order-desk", "dev.parley.toolrunner.OrderDesk", env, logs);
      orders.awaitHealthy("http://127.0.0.1:" + dev.parley.toolrunner.OrderDesk.DEFAULT_PORT + "/health",
          Duration.ofSeconds(60));
      desk = "order desk http://127.0.0.1:" + dev.parley.toolrunner.OrderDesk.DEFAULT_PORT + "/orders/4417";
    } else {
      desk = "port " + dev.parley.toolrunner.OrderDesk.DEFAULT_PORT + " is taken: the example order desk is not"
          + " started (order_status calls will answer an error)";
    }
    progress.done("log " + runner.log() + "; " + desk);

    if (!localAgents.isEmpty()) {
      // without this, the first call of a fresh stack waits while the model reads every agent's instructions
      progress.step("local model: each agent's instructions into its cache (" + localAgents.size() + " agents)");
      long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
      List<String> waiting = new ArrayList<>();
      for (String agent : localAgents) {
        try {
          processor.awaitLog(agent + ": local model ready",
              Duration.ofNanos(Math.max(1_000_000_000L, deadline - System.nanoTime())));
        } catch (IllegalStateException e) {
          waiting.add(agent);
        }
      }
      progress.done(waiting.isEmpty() ? "ready" : "not yet for " + waiting + " (their first call may wait; see "
          + processor.log() + ")");
    }

    List<StatusCommand.Service> services = new ArrayList<>();
    if (mongo != null) {
      services.add(status("config-service", apiPort, logs));
    }
    services.add(status("console", consolePort, logs));
    services.add(status("router-stream", Integer.parseInt(env.get("PARLEY_ROUTER_HEALTH_PORT")), logs));
    services.add(status("llm-processor", Integer.parseInt(env.get("PARLEY_PROCESSOR_HEALTH_PORT")), logs));
    services.add(status("tts-egress", Integer.parseInt(env.get("PARLEY_EGRESS_HEALTH_PORT")), logs));
    services.add(status("ingress-worker", Integer.parseInt(env.get("PARLEY_INGRESS_HEALTH_PORT")), logs));
    services.add(status("tool-runner", Integer.parseInt(env.get("PARLEY_TOOL_RUNNER_HEALTH_PORT")), logs));
    try {
      StatusCommand.write(dataDir, services);
    } catch (java.io.IOException e) {
      System.out.println("  (cannot write " + dataDir.resolve(StatusCommand.FILE) + " for parley status: " + e + ")");
    }

    System.out.println();
    System.out.println("Parley local stack is up.");
    if (mongo != null) {
      System.out.println("  Admin API         http://127.0.0.1:" + apiPort + "/api/v1   (key in " + keyFile() + ")");
      System.out.println("  API docs          http://127.0.0.1:" + apiPort + "/docs");
      System.out.println("  Talk to an agent  http://127.0.0.1:" + consolePort + "/   (the agent-picker page)");
    } else {
      System.out.println("  Agents            from " + agentsFile + " (no database, no Admin API)");
    }
    System.out.println("  Sessions          http://127.0.0.1:" + consolePort + "/docs   (replay, analytics, what-if;"
        + " same key)");
    System.out.println("  LiveKit           " + livekit.wsUrl() + "   (keys devkey / secret; agent name 'parley')");
    System.out.println("  Kafka bootstrap   " + broker.bootstrapServers());
    if (mongo != null) {
      System.out.println("  MongoDB (FerretDB) " + mongo.uri());
    }
    System.out.println("  Logs              " + logs.toAbsolutePath());
    System.out.println("Each service's health, sessions, lag and last error: ./parley status");
    System.out.println("Try: ./parley chat " + (agentsFile == null ? "--purpose support" : "--agent " + firstFileAgent)
        + "   (then ./parley replay session <id> with the id it prints)");
    System.out.println("Press Ctrl-C to stop.");
  }

  private static StatusCommand.Service status(String name, int port, Path logs) {
    String base = "http://127.0.0.1:" + port;
    return new StatusCommand.Service(name, base + "/health", base + "/metrics", logs.resolve(name + ".log")
        .toAbsolutePath().toString());
  }

  /** Restarts a service that died (a crash must not take the local stack down), saying so on the console. */
  private void supervise() {
    while (true) {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        return;
      }
      List<AutoCloseable> now;
      synchronized (running) {
        now = new ArrayList<>(running);
      }
      for (AutoCloseable resource : now) {
        if (resource instanceof ServiceProcess service) {
          String happened = service.restartIfDead();
          if (happened != null) {
            System.out.println("\n[parley] " + happened);
          }
        }
      }
    }
  }

  private static boolean portFree(int port) {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(port, 1,
        java.net.InetAddress.getByName("127.0.0.1"))) {
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private ServiceProcess service(String name, String main, Map<String, String> env, Path logs) {
    ServiceProcess process = ServiceProcess.start(name, main, env, logs);
    running.add(process);
    return process;
  }

  /** PARLEY_ADMIN_API_KEY, or a random key kept in the data folder so it stays the same across runs. */
  private String adminKey() throws Exception {
    String fromEnv = System.getenv("PARLEY_ADMIN_API_KEY");
    Path file = keyFile();
    if (fromEnv != null && !fromEnv.isBlank()) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, fromEnv.strip());
      return fromEnv.strip();
    }
    if (Files.exists(file)) {
      return Files.readString(file).strip();
    }
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    String key = HexFormat.of().formatHex(random);
    Files.createDirectories(file.getParent());
    Files.writeString(file, key);
    file.toFile().setReadable(false, false);
    file.toFile().setReadable(true, true);
    return key;
  }

  private Path keyFile() {
    return dataDir.resolve("admin-api-key");
  }

  private void stopAll() {
    List<AutoCloseable> reversed = new ArrayList<>(running);
    Collections.reverse(reversed);
    for (AutoCloseable resource : reversed) {
      try {
        resource.close();
      } catch (Exception e) {
        System.err.println("while stopping: " + e.getMessage());
      }
    }
  }
}
