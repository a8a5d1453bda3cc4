package dev.parley.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Kafka broker in KRaft mode (broker and controller in one process),
 * run as a child JVM from the Kafka jars on this classpath and bound to 127.0.0.1.
 *
 * <p>The data folder is formatted on first start and reused afterwards, so a restarted broker keeps
 * its topics. {@link #close()} stops the broker with SIGTERM (a clean shutdown) and waits for it.
 */
public final class KafkaBroker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private final Process process;
  private final Path dataDir;
  private final int port;

  private KafkaBroker(Process process, Path dataDir, int port) {
    this.process = process;
    this.dataDir = dataDir;
    this.port = port;
  }

  /**
   * Starts a broker that keeps its data in {@code dataDir} and listens on {@code port} (0 picks a
   * free port); returns once it answers metadata requests.
   */
  public static KafkaBroker start(Path dataDir, int port) {
    try {
      Files.createDirectories(dataDir);
      int brokerPort = port == 0 ? FreePorts.pick() : port;
      FreePorts.requireFree(brokerPort, "Kafka broker");
      int controllerPort = FreePorts.pick();
      Path config = writeConfig(dataDir, brokerPort, controllerPort);
      Path log4j = writeLogConfig(dataDir);
      if (!Files.exists(dataDir.resolve("logs").resolve("meta.properties"))) {
        format(config, log4j, dataDir);
      }
      Process process = java(log4j, "kafka.Kafka", config.toString())
          .redirectOutput(dataDir.resolve("broker.out").toFile())
          .redirectErrorStream(true)
          .start();
      KafkaBroker broker = new KafkaBroker(process, dataDir, brokerPort);
      Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "kafka-broker-stop"));
      broker.awaitReady();
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start Kafka broker in " + dataDir, e);
    }
  }

  /** {@code host:port} for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** The broker's GC log (one line per pause), for benchmarks that report GC pauses per process. */
  public Path gcLog() {
    return dataDir.resolve("gc.log");
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    ChildProcesses.stop(process, Duration.ofSeconds(30));
  }

  /** SIGKILL, as a crashed machine or an OOM-killed pod would end it; returns once it is gone. */
  public void kill() {
    ChildProcesses.kill(process);
  }

  private void awaitReady() {
    Instant deadline = Instant.now().plus(READY_TIMEOUT);
    awaitPort(deadline);
    Map<String, Object> config = Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
    try (Admin admin = Admin.create(config)) {
      while (true) {
        if (!process.isAlive()) {
          throw new IllegalStateException("Kafka broker exited with code " + process.exitValue()
              + " during start-up; last output:\n" + tail(dataDir.resolve("broker.out")));
        }
        try {
          admin.describeCluster(new DescribeClusterOptions().timeoutMs(2000)).nodes().get();
          log.info("Kafka broker ready on {} (pid {}, data {})", bootstrapServers(), pid(), dataDir);
          return;
        } catch (ExecutionException e) {
          if (Instant.now().isAfter(deadline)) {
            close();
            throw new IllegalStateException("Kafka broker not ready after " + READY_TIMEOUT.toSeconds()
                + " s; last output:\n" + tail(dataDir.resolve("broker.out")), e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      close();
      throw new IllegalStateException("interrupted while waiting for the Kafka broker", e);
    }
  }

  /** Waits for the listener so the admin client does not log a warning per refused connection. */
  private void awaitPort(Instant deadline) {
    while (Instant.now().isBefore(deadline) && process.isAlive()) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
        return;
      } catch (IOException refused) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private static void format(Path config, Path log4j, Path dataDir) throws IOException {
    String clusterId = Uuid.randomUuid().toString();
    Process format = java(log4j, "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", config.toString())
        .redirectOutput(dataDir.resolve("format.out").toFile())
        .redirectErrorStream(true)
        .start();
    try {
      if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
        format.destroyForcibly();
        throw new IllegalStateException("formatting the Kafka data folder failed:\n"
            + tail(dataDir.resolve("format.out")));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      format.destroyForcibly();
      throw new IllegalStateException("interrupted while formatting Kafka storage", e);
    }
  }

  private static ProcessBuilder java(Path log4j, String mainClass, String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xms128m", "-Xmx768m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
        "-Xlog:gc:file=" + log4j.getParent().resolve("gc.log").toAbsolutePath() + ":uptime",
        "-Djava.awt.headless=true",
        "-Dlog4j2.configurationFile=" + log4j.toUri(),
        "-cp", System.getProperty("java.class.path"),
        mainClass));
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  private static Path writeConfig(Path dataDir, int port, int controllerPort) throws IOException {
    String config = String.join("\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + dataDir.resolve("logs").toAbsolutePath(),
        "num.partitions=6",
        "auto.create.topics.enable=false",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=6",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=6",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        // Parley's services detect a dead peer in 1.5 s (PARLEY_FAILOVER_MS); Kafka's default floor is 6 s
        "group.min.session.timeout.ms=1000",
        "log.retention.hours=168",
        "log.cleaner.min.compaction.lag.ms=0",
        "");
    Path file = dataDir.resolve("server.properties");
    Files.writeString(file, config, StandardCharsets.UTF_8);
    return file;
  }

  private static Path writeLogConfig(Path dataDir) throws IOException {
    String config = String.join("\n",
        "status = warn",
        "appender.file.type = File",
        "appender.file.name = file",
        "appender.file.fileName = " + dataDir.resolve("broker.log").toAbsolutePath(),
        "appender.file.layout.type = PatternLayout",
        "appender.file.layout.pattern = [%d] %p %m (%c)%n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.file.ref = file",
        "logger.kafka.name = kafka",
        "logger.kafka.level = WARN",
        "logger.apache.name = org.apache.kafka",
        "logger.apache.level = WARN",
        "");
    Path file = dataDir.resolve("log4j2.properties");
    Files.writeString(file, config, StandardCharsets.UTF_8);
    return file;
  }

  static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no output: " + e.getMessage() + ")";
    }
  }

  /**
   * Runs a broker in the foreground until stopped: {@code KafkaBroker [--port N] [--data-dir DIR]}.
   * Prints {@code KAFKA_BOOTSTRAP=host:port} once ready.
   */
  public static void main(String[] args) throws InterruptedException {
    int port = 9092;
    Path dataDir = Path.of(".parley", "kafka");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--data-dir" -> dataDir = Path.of(args[++i]);
        default -> {
          System.err.println("usage: KafkaBroker [--port N] [--data-dir DIR]; unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    KafkaBroker broker = start(dataDir, port);
    System.out.println("KAFKA_BOOTSTRAP=" + broker.bootstrapServers());
    System.out.flush();
    broker.process.waitFor();
  }
}
