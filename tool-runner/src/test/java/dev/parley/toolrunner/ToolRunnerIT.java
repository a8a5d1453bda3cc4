package dev.parley.toolrunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.ConfigStatus;
import dev.parley.events.DeadLetter;
import dev.parley.events.ToolCall;
import dev.parley.events.ToolOutcome;
import dev.parley.events.ToolResult;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tool runner as its own process against a real broker and a real local HTTP service (an order lookup that
 * executes each idempotency key once, as a payment or booking API does): a call answered with the service's body and
 * the secret header; SIGKILLed while the service is still working on a call, the next runner completes it, the result
 * is on the topic exactly once and the service executed it once; errors, timeouts and unknown tools come back as
 * results the model can be told; an unreadable call is dead-lettered.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ToolRunnerIT {
  private static final String AGENT = "tool-agent-" + UUID.randomUUID().toString().substring(0, 8);
  private static HttpServer orders;
  /** Requests received, per idempotency key. */
  private static final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  /** Orders actually looked up (executed once per key). */
  private static final Map<String, String> executed = new ConcurrentHashMap<>();
  private static final Set<String> slow = ConcurrentHashMap.newKeySet();
  private static volatile CountDownLatch slowArrived = new CountDownLatch(1);

  @BeforeAll
  static void ordersService() throws IOException {
    orders = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    orders.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
    orders.createContext("/orders/", ToolRunnerIT::order);
    orders.createContext("/broken", exchange -> respond(exchange, 500, "{\"error\":\"down\"}"));
    orders.createContext("/hang", exchange -> {
      sleep(5000);
      respond(exchange, 200, "{}");
    });
    orders.start();
  }

  @AfterAll
  static void stop() {
    orders.stop(0);
  }

  private static void order(HttpExchange exchange) throws IOException {
    String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
    requests.computeIfAbsent(String.valueOf(key), k -> new AtomicInteger()).incrementAndGet();
    if (!"s3cret".equals(exchange.getRequestHeaders().getFirst("X-Api-Key"))) {
      respond(exchange, 401, "{\"error\":\"bad key\"}");
      return;
    }
    String id = exchange.getRequestURI().getPath().substring("/orders/".length());
    if (slow.contains(id)) {
      slowArrived.countDown();
      sleep(4000);
    }
    String body = executed.computeIfAbsent(key, k -> "{\"order\":\"" + id + "\",\"status\":\"shipped\",\"lookup\":"
        + executed.size() + "}");
    respond(exchange, id.equals("missing") ? 404 : 200, id.equals("missing") ? "{\"error\":\"no such order\"}" : body);
  }

  @Test
  void aCallIsAnsweredOnceEvenWhenItsRunnerIsKilledMidCall(TestKafka kafka, @TempDir Path dir) throws Exception {
    publishAgent(kafka);
    try (JavaProcess runner = runner(kafka, dir, "a")) {
      String session = "s-" + UUID.randomUUID();
      String plain = call(kafka, session, "order_status", "{\"order_id\":\"A-100\"}");
      ToolResult result = awaitResult(kafka, plain);
      assertThat(result.getOutcome()).isEqualTo(ToolOutcome.OK);
      assertThat(result.getResult()).contains("\"order\":\"A-100\"").contains("shipped");
      assertThat(result.getStatusCode()).isEqualTo(200);
      assertThat(requests.get(plain)).as("the call id is the idempotency key").hasValue(1);

      slow.add("B-200");
      slowArrived = new CountDownLatch(1);
      String killed = call(kafka, session, "order_status", "{\"order_id\":\"B-200\"}");
      assertThat(slowArrived.await(30, TimeUnit.SECONDS)).as("the service got the call").isTrue();
      runner.kill();
      try (JavaProcess second = runner(kafka, dir, "b")) {
        ToolResult after = awaitResult(kafka, killed);
        assertThat(after.getOutcome()).isEqualTo(ToolOutcome.OK);
        assertThat(after.getResult()).contains("\"order\":\"B-200\"");
        assertThat(requests.get(killed).get()).as("sent again after the crash, with the same key").isEqualTo(2);
        assertThat(executed).as("the service executed the call once").containsKey(killed);
        Thread.sleep(3000); // anything written twice would be on the topic by now
        assertThat(results(kafka, killed)).as("one result on the topic for the call").hasSize(1);
        System.out.printf("runner SIGKILLed mid-call: result %d ms after the call, %d request(s) to the service,"
            + " 1 execution, 1 result%n", after.getLatencyMs(), requests.get(killed).get());
      }
    }
  }

  @Test
  void failuresComeBackAsResultsTheModelCanBeTold(TestKafka kafka, @TempDir Path dir) throws Exception {
    publishAgent(kafka);
    try (JavaProcess runner = runner(kafka, dir, "c")) {
      String session = "s-" + UUID.randomUUID();
      ToolResult missing = awaitResult(kafka, call(kafka, session, "order_status", "{\"order_id\":\"missing\"}"));
      assertThat(missing.getOutcome()).isEqualTo(ToolOutcome.ERROR);
      assertThat(missing.getResult()).contains("HTTP 404").contains("no such order");
      assertThat(missing.getAttempts()).as("a 4xx is final").isEqualTo(1);

      ToolResult broken = awaitResult(kafka, call(kafka, session, "broken_tool", "{}"));
      assertThat(broken.getOutcome()).isEqualTo(ToolOutcome.ERROR);
      assertThat(broken.getAttempts()).as("a 5xx is tried again").isEqualTo(3);
      assertThat(broken.getResult()).contains("HTTP 500").contains("3 attempts");

      ToolResult hang = awaitResult(kafka, call(kafka, session, "hanging_tool", "{}"));
      assertThat(hang.getOutcome()).isEqualTo(ToolOutcome.TIMEOUT);
      assertThat(hang.getResult()).contains("did not answer within 300 ms");

      ToolResult unknown = awaitResult(kafka, call(kafka, session, "launch_rocket", "{}"));
      assertThat(unknown.getOutcome()).isEqualTo(ToolOutcome.UNKNOWN_TOOL);
      assertThat(unknown.getResult()).contains("has no tool 'launch_rocket'");

      ToolResult badArguments = awaitResult(kafka, call(kafka, session, "order_status", "{\"order_id\":42}"));
      assertThat(badArguments.getOutcome()).isEqualTo(ToolOutcome.ERROR);
      assertThat(badArguments.getResult()).contains("'order_id' must be string");

      ToolResult noSecret = awaitResult(kafka, call(kafka, session, "secret_tool", "{}"));
      assertThat(noSecret.getResult()).contains("PARLEY_SECRET_NOT_SET");

      try (KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
        producer.send(new ProducerRecord<>(Topics.TOOL_CALLS.name(), session.getBytes(), "garbage".getBytes())).get();
      }
      await("the unreadable call dead-lettered").atMost(Duration.ofSeconds(30)).until(() -> deadLetters(kafka)
          .stream().anyMatch(d -> d.getStage().equals("tool-runner") && d.getKey() != null
              && new String(toBytes(d.getKey()), StandardCharsets.UTF_8).equals(session)));
      ToolResult after = awaitResult(kafka, call(kafka, session, "order_status", "{\"order_id\":\"C-300\"}"));
      assertThat(after.getOutcome()).as("the runner goes on after it").isEqualTo(ToolOutcome.OK);
    }
  }

  private static void publishAgent(TestKafka kafka) throws Exception {
    AgentConfig seed = SeedAgents.all().get(0);
    String base = "http://127.0.0.1:" + orders.getAddress().getPort();
    var orderStatus = new AgentConfig.ToolConfig("order_status", "Looks up an order's status by its id",
        AgentConfigJson.MAPPER.readTree("{\"type\":\"object\",\"properties\":{\"order_id\":{\"type\":\"string\"}},"
            + "\"required\":[\"order_id\"]}"),
        new AgentConfig.HttpBinding("GET", base + "/orders/{order_id}", Map.of("X-Api-Key", "${secret:ORDERS_KEY}"),
            6000, 1), "Let me look that up.");
    var broken = new AgentConfig.ToolConfig("broken_tool", "Always fails", null,
        new AgentConfig.HttpBinding("POST", base + "/broken", null, 1000, 2), null);
    var hanging = new AgentConfig.ToolConfig("hanging_tool", "Never answers in time", null,
        new AgentConfig.HttpBinding("GET", base + "/hang", null, 300, 0), null);
    var secret = new AgentConfig.ToolConfig("secret_tool", "Needs a secret nobody set", null,
        new AgentConfig.HttpBinding("GET", base + "/orders/x", Map.of("X-Api-Key", "${secret:NOT_SET}"), 1000, 0), null);
    AgentConfig config = new AgentConfig(AGENT, seed.tenantId(), seed.name(), seed.description(), seed.promptConfig(),
        seed.schemaConfig(), seed.llmConfig(), seed.voiceConfig(), seed.sttConfig(),
        List.of(orderStatus, broken, hanging, secret), 1, AgentConfig.ACTIVE, Instant.now(), Instant.now());
    AgentConfigSnapshot snapshot = AgentConfigSnapshot.newBuilder().setAgentId(AGENT).setTenantId(seed.tenantId())
        .setVersion(1).setStatus(ConfigStatus.ACTIVE).setConfigJson(AgentConfigJson.write(config))
        .setUpdatedAt(Instant.now()).build();
    try (Admin admin = kafka.admin()) {
      new TopicProvisioner(admin, (short) 1).ensure(List.of(Topics.AGENT_CONFIGS, Topics.AGENT_CONFIG_VERSIONS,
          Topics.TOOL_CALLS, Topics.TOOL_RESULTS));
    }
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientConfig(),
        new org.apache.kafka.common.serialization.StringSerializer(), new ByteArraySerializer())) {
      for (ProducerRecord<String, byte[]> record : Topics.agentConfigRecords(snapshot)) {
        producer.send(record).get();
      }
    }
  }

  private static JavaProcess runner(TestKafka kafka, Path dir, String name) {
    JavaProcess process = JavaProcess.start("tool-runner-" + name, ToolRunnerMain.class.getName(), Map.of(
        "PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(), "PARLEY_SECRET_ORDERS_KEY", "s3cret",
        "PARLEY_TOOL_RUNNER_SESSION_TIMEOUT_MS", "3000"), dir.resolve("tool-runner-" + name + ".log"));
    process.awaitLog("taking calls from", Duration.ofSeconds(60));
    return process;
  }

  private static String call(TestKafka kafka, String session, String tool, String arguments) throws Exception {
    String turn = session + "-t" + UUID.randomUUID().toString().substring(0, 4);
    ToolCall call = ToolCall.newBuilder().setSessionId(session).setTurnId(turn).setCallId(turn + "#0")
        .setAgentId(AGENT).setConfigVersion(1).setTool(tool).setArguments(arguments).setRequestedAt(Instant.now())
        .build();
    try (KafkaProducer<byte[], byte[]> producer = producer(kafka)) {
      producer.send(new ProducerRecord<>(Topics.TOOL_CALLS.name(), session.getBytes(StandardCharsets.UTF_8),
          AvroSerde.of(ToolCall.class).encode(call))).get();
    }
    return call.getCallId();
  }

  private static ToolResult awaitResult(TestKafka kafka, String callId) {
    return await("the result of " + callId).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
        .until(() -> results(kafka, callId), list -> !list.isEmpty()).get(0);
  }

  private static List<ToolResult> results(TestKafka kafka, String callId) {
    List<ToolResult> found = new ArrayList<>();
    for (byte[] value : kafka.readCommitted(Topics.TOOL_RESULTS.name())) {
      ToolResult result = AvroSerde.of(ToolResult.class).decode(value);
      if (result.getCallId().equals(callId)) {
        found.add(result);
      }
    }
    return found;
  }

  private static List<DeadLetter> deadLetters(TestKafka kafka) {
    return kafka.readCommitted(Topics.deadLetters(Topics.TOOL_CALLS).name()).stream()
        .map(v -> AvroSerde.of(DeadLetter.class).decode(v)).toList();
  }

  private static KafkaProducer<byte[], byte[]> producer(TestKafka kafka) {
    return new KafkaProducer<>(kafka.clientConfig(), new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static byte[] toBytes(java.nio.ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
