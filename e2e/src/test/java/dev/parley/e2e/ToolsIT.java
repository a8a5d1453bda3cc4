package dev.parley.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.events.AgentTurn;
import dev.parley.events.ToolCall;
import dev.parley.events.ToolOutcome;
import dev.parley.events.ToolResult;
import dev.parley.insights.SessionLog;
import dev.parley.insights.SessionTimeline;
import dev.parley.insights.WhatIf;
import dev.parley.llm.OfflineResponder;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import dev.parley.toolrunner.ToolRunnerMain;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An agent with a tool, through real processes: router-stream, llm-processor on the offline model, the tool runner,
 * and an order service on loopback that counts requests and executions per idempotency key. The caller asks about an
 * order and hears what the service said; with the tool runner SIGKILLed while the service works, the call is still
 * executed once and answered.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ToolsIT {
  private HttpServer orders;
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  private final Map<String, String> executed = new ConcurrentHashMap<>();
  private final Set<String> slow = ConcurrentHashMap.newKeySet();
  private final CountDownLatch slowArrived = new CountDownLatch(1);

  @BeforeEach
  void ordersService() throws IOException {
    orders = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    orders.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
    orders.createContext("/orders/", this::order);
    orders.start();
  }

  @AfterEach
  void stop() {
    orders.stop(0);
  }

  private void order(HttpExchange exchange) throws IOException {
    String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
    String id = exchange.getRequestURI().getPath().substring("/orders/".length());
    if (key == null) {
      respond(exchange, 400, "{\"error\":\"Idempotency-Key required\"}");
      return;
    }
    requests.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    if (slow.contains(id)) {
      slowArrived.countDown();
      try {
        Thread.sleep(4000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    String body = executed.computeIfAbsent(key, k -> "{\"order_id\":\"" + id + "\",\"status\":\"shipped\","
        + "\"carrier\":\"DHL\",\"arrives\":\"Thursday\"}");
    respond(exchange, 200, body);
  }

  @Test
  void aCallerAsksAboutAnOrderAndHearsWhatTheServiceSaidEvenWhenTheRunnerIsKilledMidCall(TestKafka kafka)
      throws Exception {
    String run = "tl" + UUID.randomUUID().toString().substring(0, 6);
    Path dir = Path.of("target", "tools-it", run).toAbsolutePath();
    String base = "http://127.0.0.1:" + orders.getAddress().getPort();
    try (FaultsIT.Pipeline pipeline = FaultsIT.Pipeline.startLocal(kafka.bootstrapServers(), run, dir,
        json -> orderStatus(json, base), Map.of());
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientConfig(),
            Serdes.String().serializer(), Serdes.ByteArray().serializer())) {
      JavaProcess runner = runner(kafka, dir, "a");
      try {
        String first = run + "-s0";
        pipeline.startSession(producer, first);
        pipeline.sendTurn(producer, first, 0, "Hi, where is my order 4417? It still hasn't arrived.");
        producer.flush();
        FaultsIT.Answers answers = pipeline.awaitAnswers(kafka.bootstrapServers(), 2, Duration.ofMinutes(3));
        AgentTurn answered = last(answers, first);
        System.out.println("caller: where is my order 4417?\nagent:  " + answered.getSystemResponse());
        assertThat(answered.getSystemResponse().toLowerCase(Locale.ROOT)).as("what the order service said")
            .containsAnyOf("thursday", "shipped", "dhl");
        assertThat(answers.spoken.get(first + "#0")).as("the waiting line is said while the tool works")
            .contains("One moment while I look that up.");
        String callId = first + "#0#1";
        assertThat(calls(kafka, callId)).singleElement().satisfies(call -> {
          assertThat(call.getTool()).isEqualTo("order_status");
          assertThat(call.getArguments()).isEqualTo("{\"order_id\":\"4417\"}");
        });
        assertThat(requests.get(callId)).as("the call id is the idempotency key").hasValue(1);
        assertThat(results(kafka, callId)).singleElement().extracting(ToolResult::getOutcome)
            .isEqualTo(ToolOutcome.OK);
        replayAndWhatIf(kafka, first, callId);

        slow.add("5521");
        String second = run + "-s1";
        pipeline.startSession(producer, second);
        pipeline.sendTurn(producer, second, 0, "It's about order 5521, where is it?");
        producer.flush();
        assertThat(slowArrived.await(3, TimeUnit.MINUTES)).as("the order service got the call").isTrue();
        runner.kill();
        runner = runner(kafka, dir, "b");
        answers = pipeline.awaitAnswers(kafka.bootstrapServers(), 4, Duration.ofMinutes(3));
        AgentTurn afterKill = last(answers, second);
        String killedCall = second + "#0#1";
        System.out.println("caller: it's about order 5521\nagent:  " + afterKill.getSystemResponse());
        assertThat(afterKill.getSystemResponse().toLowerCase(Locale.ROOT)).containsAnyOf("thursday", "shipped", "dhl");
        assertThat(requests.get(killedCall).get()).as("sent again by the next runner, with the same key").isEqualTo(2);
        assertThat(executed).as("the service executed it once").containsKey(killedCall);
        assertThat(calls(kafka, killedCall)).as("the processor asked once").hasSize(1);
        assertThat(results(kafka, killedCall)).as("one result recorded").hasSize(1);
      } finally {
        runner.close();
      }
    }
  }

  /**
   * {@code parley replay} shows the call; {@code parley whatif} through a new config version (another prompt, same
   * offline model) asks for the same call and gets the recorded result: the order service is not called again.
   */
  private void replayAndWhatIf(TestKafka kafka, String session, String callId) {
    SessionTimeline timeline;
    try (SessionLog log = new SessionLog(kafka.bootstrapServers())) {
      timeline = SessionTimeline.of(session, log.session(session));
    }
    assertThat(timeline.toText()).contains("  tool:   order_status {\"order_id\":\"4417\"} -> OK in ");
    AgentConfig seed = dev.parley.agentconfig.SeedAgents.all().get(0).withDefaults();
    ObjectNode json = dev.parley.agentconfig.AgentConfigJson.tree(seed);
    json.put("agent_id", timeline.agentId()).put("version", 2).put("status", "active");
    orderStatus(json, "http://127.0.0.1:" + orders.getAddress().getPort());
    json.with("prompt_config").put("instructions", seed.promptConfig().instructions()
        + " Always thank the caller for their patience.");
    AgentConfig candidate = dev.parley.agentconfig.AgentConfigJson.read(json.toString());
    int before = requests.get(callId).get();
    Path state = Path.of("..", ".parley").toAbsolutePath().normalize();
    WhatIf.Result result = WhatIf.with(OfflineResponder.from(Map.of(
        "PARLEY_LOCAL_MODEL", System.getenv().getOrDefault("PARLEY_LOCAL_MODEL",
            state.resolve("models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf").toString()),
        "PARLEY_LLAMA_SERVER", System.getenv().getOrDefault("PARLEY_LLAMA_SERVER",
            state.resolve("bin/llama-server").toString()),
        "PARLEY_LOCAL_THREADS", "2"))).replay(timeline, candidate, line -> { });
    System.out.println(WhatIf.toText(result));
    WhatIf.TurnDiff turn = result.turns().get(0);
    assertThat(turn.candidateTools()).as("the candidate asked for the same call").singleElement()
        .satisfies(use -> assertThat(use.recorded()).as("and got the recorded result").isTrue());
    assertThat(turn.toolCallsDiffering()).isEmpty();
    assertThat(turn.candidateReply().toLowerCase(Locale.ROOT)).containsAnyOf("thursday", "shipped", "dhl");
    assertThat(requests.get(callId).get()).as("what-if called no tool").isEqualTo(before);
  }

  private static void orderStatus(ObjectNode config, String base) {
    ObjectNode tool = config.putArray("tools").addObject();
    tool.put("name", "order_status").put("description", "Looks up an order by its number: whether it shipped and"
        + " when it arrives.").put("waiting_line", "One moment while I look that up.");
    ObjectNode parameters = tool.putObject("parameters").put("type", "object");
    parameters.putObject("properties").putObject("order_id").put("type", "string")
        .put("description", "the order number the caller gave");
    parameters.putArray("required").add("order_id");
    tool.putObject("http").put("method", "GET").put("url", base + "/orders/{order_id}").put("timeout_ms", 6000)
        .put("retries", 1);
  }

  private static AgentTurn last(FaultsIT.Answers answers, String session) {
    List<AgentTurn> turns = answers.turns.get(session);
    assertThat(turns).as("turns of %s", session).isNotNull().hasSizeGreaterThanOrEqualTo(2);
    return turns.get(turns.size() - 1);
  }

  private static JavaProcess runner(TestKafka kafka, Path dir, String name) {
    return JavaProcess.start("tool-runner-" + name, ToolRunnerMain.class.getName(), Map.of(
        "PARLEY_KAFKA_BOOTSTRAP", kafka.bootstrapServers(), "PARLEY_TOOL_RUNNER_SESSION_TIMEOUT_MS", "3000"),
        dir.resolve("tool-runner-" + name + ".log")).awaitLog("taking calls from", Duration.ofSeconds(60));
  }

  private static List<ToolCall> calls(TestKafka kafka, String callId) {
    return decoded(kafka, Topics.TOOL_CALLS.name(), ToolCall.class).stream()
        .filter(c -> c.getCallId().equals(callId)).toList();
  }

  private static List<ToolResult> results(TestKafka kafka, String callId) {
    return decoded(kafka, Topics.TOOL_RESULTS.name(), ToolResult.class).stream()
        .filter(r -> r.getCallId().equals(callId)).toList();
  }

  /** The topic's records that are {@code type}: other tests on the shared broker write garbage to it on purpose. */
  static <T extends org.apache.avro.specific.SpecificRecord> List<T> decoded(TestKafka kafka, String topic,
      Class<T> type) {
    List<T> records = new java.util.ArrayList<>();
    for (byte[] value : kafka.readCommitted(topic)) {
      try {
        records.add(AvroSerde.of(type).decode(value));
      } catch (org.apache.kafka.common.errors.SerializationException e) {
        // not a record of ours
      }
    }
    return records;
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }
}
