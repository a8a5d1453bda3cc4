package dev.parley.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentTurn;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserTurn;
import dev.parley.localstack.FreePorts;
import dev.parley.schemas.Topics;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;

/**
 * The project's {@code docker-compose.yml}, run for real with {@code docker-compose}: images built from the
 * module Dockerfiles on the stand-in base, Kafka, FerretDB and LiveKit images that {@code ./parley test}
 * builds here (the upstream images on a machine that can pull them), the offline models mounted. Then, as
 * a user would: the seeded agents through the Admin API, {@code parley chat} and a spoken call answered
 * through the containers, two support processors sharing the agent's partitions, one of them killed
 * mid-turn with the turn still answered once, and {@code docker-compose down} leaving nothing behind.
 * The containers sit on the compose network this test creates; its ports are published on 127.0.0.1.
 */
class ComposeStackIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final String ADMIN_KEY = "compose-it-admin-key-0123456789";
  private static final Duration ANSWER = Duration.ofSeconds(180);

  private final String project = "parley-it-" + UUID.randomUUID().toString().substring(0, 6);
  private final int kafkaPort = FreePorts.pick();
  private final int configPort = FreePorts.pick();
  private final int consolePort = FreePorts.pick();
  private final int livekitPort = FreePorts.pick();
  private final Path logs = Path.of("target", "e2e-logs", project).toAbsolutePath();

  @Test
  void theComposeStackSeedsChatsTakesACallSharesAnAgentAndSurvivesAKilledProcessor() throws Exception {
    Files.createDirectories(logs);
    Run built = compose(Duration.ofMinutes(10), "build", "-q");
    assertThat(built.exit).as("docker-compose build:\n%s", built.output).isZero();
    long started = System.nanoTime();
    try {
      Run up = compose(Duration.ofMinutes(10), "up", "-d", "--scale", "llm-processor-support=2",
          "--scale", "llm-processor-sales=1", "--scale", "llm-processor=1", "--scale", "router-stream=1");
      assertThat(up.exit).as("docker-compose up:\n%s", up.output).isZero();
      String seed = compose(Duration.ofSeconds(30), "ps", "-q", "seed").output.strip();
      Run seeded = docker(Duration.ofMinutes(3), "wait", seed);
      assertThat(seeded.output.strip()).as("the seeding job's exit code").isEqualTo("0");
      System.out.printf("compose: stack up and seeded in %d s%n", (System.nanoTime() - started) / 1_000_000_000L);

      // 1. the seed agents, through the Admin API in its container
      HttpResponse<String> list = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + configPort + "/api/v1/agents/list"))
          .header("Authorization", "Bearer " + ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
      Set<String> agents = new TreeSet<>();
      JSON.readTree(list.body()).path("items").forEach(a -> agents.add(a.path("agent_id").asText()));
      assertThat(agents).contains("support-agent-v1", "sales-agent-v1", "onboarding-agent-v1",
          "pte-interview-agent-v1");
      // the page, from the console's container, asks config-service's published port for tokens
      await().atMost(Duration.ofMinutes(2)).ignoreExceptions().until(() -> HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + consolePort + "/health")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + consolePort + "/")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("<html");
      HttpResponse<String> pageSettings = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + consolePort + "/console.json")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(JSON.readTree(pageSettings.body()).path("token_url").asText())
          .isEqualTo("http://127.0.0.1:" + configPort + "/api/v1/livekit/token");

      // 2. parley chat, from this machine, answered by the containers (the offline model, no key), once both support
      // processors have read the agent's instructions into their own llama-server (four of them start at once on two
      // cores: a turn before that waited past the model's 30 s timeout and got the apology)
      long warming = System.nanoTime();
      await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(5)).until(() -> compose(
          Duration.ofSeconds(30), "logs", "--no-color", "llm-processor-support").output
          .split("support-agent-v1: local model ready", -1).length - 1 >= 2);
      System.out.printf("compose: both support processors' models ready %d s later%n",
          (System.nanoTime() - warming) / 1_000_000_000L);
      Run chat = launcher(Duration.ofMinutes(5), "I was charged twice for my subscription this month.\n/quit\n",
          "chat", "--purpose", "support", "--kafka", "127.0.0.1:" + kafkaPort, "--timeout", "240");
      System.out.println(chat.output);
      assertThat(chat.exit).as(chat.output).isZero();
      assertThat(chat.output).contains("routed to support-agent-v1").contains("agent> Hi, you've reached support.")
          .contains("via qwen2.5-coder-1.5b-instruct").contains("\"issue_category\":\"billing\"");

      // 3. a spoken call through the LiveKit container: the demo caller speaks, the agent answers aloud
      Run demo = launcher(Duration.ofMinutes(6), "", "demo", "--purpose", "support",
          "--api", "http://127.0.0.1:" + configPort, "--livekit-url", "ws://127.0.0.1:" + livekitPort,
          "--kafka", "127.0.0.1:" + kafkaPort, "--turn-timeout", "240");
      System.out.println(demo.output);
      assertThat(demo.exit).as(demo.output).isZero();
      assertThat(demo.output).contains("agent:  Hi, you've reached support.").contains("heard:")
          .contains("demo: 1 of 1 conversations completed");
      // its third line asks about order 4417: the tool-runner container calls the order-desk container
      String order = demo.output.substring(demo.output.indexOf("caller: Also, where is my order 4417?"));
      order = order.substring(order.indexOf("agent:  "), order.indexOf("\n  fields:"));
      assertThat(order).contains("One moment while I look up that order.");
      assertThat(order.toLowerCase(java.util.Locale.ROOT)).containsAnyOf("thursday", "dhl", "shipped");

      // 4. two support processors share the agent's partitions: greetings of 12 sessions come from both
      try (Replies replies = new Replies("127.0.0.1:" + kafkaPort, project)) {
        List<String> sessions = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
          sessions.add(project + "-s" + i);
        }
        for (String session : sessions) {
          startSession(session);
        }
        Map<String, String> byInstance = new HashMap<>();
        await().atMost(ANSWER).until(() -> {
          replies.poll();
          return sessions.stream().allMatch(s -> replies.finals(s + "#greeting") > 0);
        });
        sessions.forEach(s -> byInstance.put(s, replies.instance(s + "#greeting")));
        assertThat(new TreeSet<>(byInstance.values())).as("instances that greeted: %s", byInstance).hasSize(2);

        // 5. the processor serving a session is killed mid-turn; the other one answers the turn, once
        String session = sessions.get(0);
        String victim = byInstance.get(session);
        String container = victim.substring(victim.indexOf('@') + 1, victim.lastIndexOf(':'));
        say(session, "Hi, I was charged twice for my subscription this month.");
        Thread.sleep(1500); // the turn has reached the processor, whose model takes seconds to answer
        replies.poll();
        assertThat(replies.finals(session + "#1")).as("the turn was still being answered when killed").isZero();
        Run killed = docker(Duration.ofSeconds(30), "kill", container);
        assertThat(killed.exit).as(killed.output).isZero();
        long killedAt = System.nanoTime();
        await().atMost(ANSWER).until(() -> {
          replies.poll();
          return replies.finals(session + "#1") > 0;
        });
        Thread.sleep(5000); // a duplicate would follow within the commit interval
        replies.poll();
        assertThat(replies.finals(session + "#1")).as("answers to the turn after the kill").isEqualTo(1);
        System.out.printf("compose: processor %s killed mid-turn; the turn answered once by %s, %d ms after the"
            + " kill: %s%n", container, replies.instance(session + "#1"), (System.nanoTime() - killedAt) / 1_000_000,
            replies.text(session + "#1"));
        assertThat(replies.text(session + "#1")).isNotBlank();
      }
    } catch (Throwable e) {
      Files.writeString(logs.resolve("compose.log"), compose(Duration.ofMinutes(1), "logs", "--no-color").output);
      throw e;
    } finally {
      Run down = compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans", "-t", "5");
      // the images this build replaced (their tags moved to the new ones) would pile up run after run
      docker(Duration.ofMinutes(2), "image", "prune", "-f", "--filter", "label=dev.parley.image=service");
      assertThat(down.exit).as("docker-compose down:\n%s", down.output).isZero();
    }
    // 6. nothing left behind: no container, volume or network of the project
    String label = "label=com.docker.compose.project=" + project;
    assertThat(docker(Duration.ofSeconds(30), "ps", "-aq", "--filter", label).output.strip()).isEmpty();
    assertThat(docker(Duration.ofSeconds(30), "volume", "ls", "-q", "--filter", label).output.strip()).isEmpty();
    assertThat(docker(Duration.ofSeconds(30), "network", "ls", "-q", "--filter", label).output.strip()).isEmpty();
    System.out.printf("compose: whole test %d s%n", (System.nanoTime() - started) / 1_000_000_000L);
  }

  private void startSession(String session) throws Exception {
    try (var producer = producer(Topics.SESSIONS.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(Topics.SESSIONS.name(), session, new SessionEvent(SessionStarted.newBuilder()
          .setSessionId(session).setRoomName(session).setParticipantIdentity("caller")
          .setRoomMetadata("{\"purpose\":\"support\"}").setStartedAt(Instant.now()).build()))).get();
    }
  }

  private void say(String session, String words) throws Exception {
    try (var producer = producer(Topics.USER_TURNS.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(Topics.USER_TURNS.name(), session, new UserEvent(UserTurn.newBuilder()
          .setSessionId(session).setTurnId(session + "#1").setTurnIndex(1).setTranscript(words)
          .setSpeechStartedAt(Instant.now()).setSpeechStoppedAt(Instant.now()).setTranscribedAt(Instant.now())
          .build()))).get();
    }
  }

  private <V> KafkaProducer<String, V> producer(org.apache.kafka.common.serialization.Serializer<V> values) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + kafkaPort),
        Serdes.String().serializer(), values);
  }

  /** The final answers of this run's turns, as committed (what tts-egress reads), with who answered. */
  private static final class Replies implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final String run;
    private final Map<String, List<AgentTurn>> turns = new HashMap<>();
    private final Map<String, String> instances = new HashMap<>();

    Replies(String bootstrap, String run) {
      this.run = run;
      consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.GROUP_ID_CONFIG, "verify-" + run, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
          ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
          Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
      consumer.subscribe(List.of(Topics.AGENT_REPLIES.name()));
    }

    void poll() {
      for (var record : consumer.poll(Duration.ofMillis(200))) {
        if (record.key() == null || !record.key().startsWith(run)) {
          continue;
        }
        AgentReply reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(null, record.value());
        if (reply.getEvent() instanceof AgentTurn turn) {
          turns.computeIfAbsent(turn.getTurnId(), t -> new ArrayList<>()).add(turn);
          Header instance = record.headers().lastHeader(Topics.REPLY_INSTANCE_HEADER);
          instances.put(turn.getTurnId(), instance == null ? "?" : new String(instance.value(), StandardCharsets.UTF_8));
        }
      }
    }

    int finals(String turnId) {
      return turns.getOrDefault(turnId, List.of()).size();
    }

    String instance(String turnId) {
      return instances.get(turnId);
    }

    String text(String turnId) {
      return turns.get(turnId).get(0).getSystemResponse();
    }

    @Override
    public void close() {
      consumer.close();
    }
  }

  private record Run(int exit, String output) {}

  private Run compose(Duration timeout, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("docker-compose", "-f", ROOT.resolve("docker-compose.yml").toString(),
        "-p", project));
    command.addAll(List.of(args));
    return run(command, timeout, "", composeEnv());
  }

  private static Run docker(Duration timeout, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("docker"));
    command.addAll(List.of(args));
    return run(command, timeout, "", Map.of());
  }

  private static Run launcher(Duration timeout, String typed, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "-cp", System.getProperty("java.class.path"), "dev.parley.launcher.ParleyCli"));
    command.addAll(List.of(args));
    return run(command, timeout, typed, Map.of());
  }

  /**
   * What compose needs: the images (the stand-ins {@code ./parley test} built and exported, or the upstream
   * defaults with {@code PARLEY_UPSTREAM_IMAGES}), this test's own ports and key, the offline models.
   */
  private Map<String, String> composeEnv() {
    Map<String, String> env = new HashMap<>();
    if (System.getenv("KAFKA_IMAGE") == null && System.getenv("PARLEY_UPSTREAM_IMAGES") == null) {
      throw new IllegalStateException("ComposeStackIT needs the stand-in images: run it through ./parley test"
          + " (which builds them and starts a Docker engine), or set PARLEY_UPSTREAM_IMAGES=1 to pull upstream ones");
    }
    env.put("KAFKA_HOST_PORT", String.valueOf(kafkaPort));
    env.put("CONFIG_HOST_PORT", String.valueOf(configPort));
    env.put("CONSOLE_HOST_PORT", String.valueOf(consolePort));
    env.put("LIVEKIT_HOST_PORT", String.valueOf(livekitPort));
    env.put("LIVEKIT_PUBLIC_URL", "ws://127.0.0.1:" + livekitPort);
    env.put("PARLEY_ADMIN_API_KEY", ADMIN_KEY);
    env.put("PARLEY_SEED_PROVIDERS", "local");
    env.put("OPENAI_API_KEY", "");
    env.put("PARLEY_MODELS_DIR", ROOT.resolve(".parley/models").toString());
    env.put("PARLEY_LLAMA_SERVER_BIN", ROOT.resolve(".parley/bin/llama-server").toString());
    return env;
  }

  private static Run run(List<String> command, Duration timeout, String typed, Map<String, String> env)
      throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    try (OutputStream in = process.getOutputStream()) {
      in.write(typed.getBytes(StandardCharsets.UTF_8));
    }
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        return e.toString();
      }
    });
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
    }
    return new Run(process.exitValue(), output.get(30, TimeUnit.SECONDS));
  }
}
