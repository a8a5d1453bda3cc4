package dev.parley.bench;

import dev.parley.llm.LlmProvider;
import dev.parley.processor.Processor;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.ConfigStatus;
import dev.parley.events.RoutedEvent;
import dev.parley.events.UserTurn;
import dev.parley.kit.Settings;
import dev.parley.localstack.KafkaBroker;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
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
 * What llm-processor adds around the model: an LLM stand-in that answers instantly, one instance,
 * 100 sessions on one agent topic. Reports, from the routed turn's send time, the first reply
 * chunk's record timestamp (processor side) and when a downstream consumer got it, and the
 * turns/s one instance sustains in a burst.
 *
 * <pre>./parley bench processor [rate turns/s] [seconds] [burst turns]</pre>
 */
public final class ProcessorBench {
  private static final String AGENT = "bench-agent";
  private static final String REPLY = "{\"system_response\":\"Thanks, I see the problem. Let's fix it now.\","
      + "\"issue_category\":\"account\",\"sentiment\":\"neutral\",\"priority\":2,\"issue_resolved\":false,"
      + "\"escalation_needed\":false}";

  public static void main(String[] args) throws Exception {
    int rate = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int burst = args.length > 2 ? Integer.parseInt(args[2]) : 5000;
    Path dir = Files.createTempDirectory("parley-processor-bench");
    System.out.printf("llm-processor benchmark: instant LLM stand-in, %d turns/s for %d s (3 s warm-up), then a"
        + " burst of %d turns; 100 sessions; broker, processor and load share %d cores%n", rate, seconds, burst,
        Runtime.getRuntime().availableProcessors());
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0)) {
      String bootstrap = broker.bootstrapServers();
      prepare(bootstrap);
      try (Processor processor = Processor.start(new Settings(Map.of("PARLEY_KAFKA_BOOTSTRAP", bootstrap,
          "PARLEY_AGENTS", AGENT)), instant(), new SimpleMeterRegistry())) {
        Thread.sleep(4000); // join the group and take the partitions
        run(bootstrap, rate, seconds, burst);
      }
    }
    System.exit(0);
  }

  private static LlmProvider instant() {
    return new LlmProvider() {
      @Override
      public Completion complete(Request request, Consumer<String> onDelta) {
        int third = REPLY.length() / 3;
        onDelta.accept(REPLY.substring(0, third));
        onDelta.accept(REPLY.substring(third, 2 * third));
        onDelta.accept(REPLY.substring(2 * third));
        return new Completion(REPLY, 100, 30, 0, "instant");
      }

      @Override
      public String name() {
        return "instant";
      }
    };
  }

  private static void prepare(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
      topics.add(Topics.agent(AGENT));
      new TopicProvisioner(admin, (short) 1).ensure(topics);
    }
    ObjectNode json = AgentConfigJson.tree(SeedAgents.all().get(0).withDefaults());
    json.put("agent_id", AGENT).put("version", 1).put("status", "active");
    try (var producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), Serdes.String().serializer(),
        Topics.AGENT_CONFIGS.valueSerde().serializer())) {
      producer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), AGENT, AgentConfigSnapshot.newBuilder()
          .setAgentId(AGENT).setTenantId("bench").setVersion(1).setStatus(ConfigStatus.ACTIVE)
          .setConfigJson(json.toString()).setUpdatedAt(Instant.now()).build())).get();
    }
  }

  private static void run(String bootstrap, int rate, int seconds, int burst) throws Exception {
    Histogram processorSide = new Histogram(60_000, 3);
    Histogram delivered = new Histogram(60_000, 3);
    AtomicLong turnsDone = new AtomicLong();
    AtomicLong measureFrom = new AtomicLong(Long.MAX_VALUE);
    AtomicBoolean stop = new AtomicBoolean();
    Thread consumer = new Thread(() -> consume(bootstrap, processorSide, delivered, turnsDone, measureFrom, stop));
    consumer.start();
    Thread.sleep(2000);
    try (var producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
        Serdes.String().serializer(), Serdes.ByteArray().serializer())) {
      Map<String, Integer> index = new HashMap<>();
      long interval = 1_000_000_000L / rate;
      long start = System.nanoTime();
      int sent = 0;
      while (System.nanoTime() - start < seconds * 1_000_000_000L) {
        if (measureFrom.get() == Long.MAX_VALUE && System.nanoTime() - start > 3_000_000_000L) {
          measureFrom.set(System.currentTimeMillis());
        }
        send(producer, "s" + (sent % 100), index);
        sent++;
        long wait = start + sent * interval - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
      await(turnsDone, sent);
      long paced = turnsDone.get();
      turnsDone.set(0);
      measureFrom.set(Long.MAX_VALUE);
      long burstStart = System.nanoTime();
      for (int i = 0; i < burst; i++) {
        send(producer, "s" + (i % 100), index);
      }
      producer.flush();
      await(turnsDone, burst);
      double perSecond = turnsDone.get() / ((System.nanoTime() - burstStart) / 1e9);
      stop.set(true);
      consumer.join();
      System.out.println();
      System.out.println("| routed turn → first reply chunk written, p50 / p99 (ms) | → first chunk received downstream,"
          + " p50 / p99 (ms) | paced turns answered | burst turns/s (one instance) |");
      System.out.println("|---|---|---|---|");
      System.out.printf("| %d / %d | %d / %d | %d | %.0f |%n", processorSide.getValueAtPercentile(50),
          processorSide.getValueAtPercentile(99), delivered.getValueAtPercentile(50),
          delivered.getValueAtPercentile(99), paced, perSecond);
    }
  }

  private static void send(KafkaProducer<String, byte[]> producer, String session, Map<String, Integer> index) {
    int n = index.merge(session, 1, Integer::sum);
    Instant now = Instant.now();
    UserTurn turn = UserTurn.newBuilder().setSessionId(session).setTurnId(session + "#" + n + "#" + System.nanoTime())
        .setTurnIndex(n).setTranscript("my login is broken").setSpeechStartedAt(now).setSpeechStoppedAt(now)
        .setTranscribedAt(now).build();
    RoutedEvent routed = RoutedEvent.newBuilder().setSessionId(session).setAgentId(AGENT).setConfigVersion(1)
        .setRoutedAt(now).setEvent(turn).build();
    producer.send(new ProducerRecord<>(Topics.agent(AGENT).name(), session, AvroSerde.of(RoutedEvent.class)
        .encode(routed)));
  }

  private static void consume(String bootstrap, Histogram processorSide, Histogram delivered, AtomicLong turnsDone,
      AtomicLong measureFrom, AtomicBoolean stop) {
    try (var consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.GROUP_ID_CONFIG, "bench-egress", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest"),
        Serdes.String().deserializer(), Topics.AGENT_REPLIES.valueSerde().deserializer())) {
      consumer.subscribe(List.of(Topics.AGENT_REPLIES.name()));
      while (!stop.get()) {
        for (ConsumerRecord<String, AgentReply> record : consumer.poll(Duration.ofMillis(20))) {
          Object event = record.value().getEvent();
          if (event instanceof AgentTurn) {
            turnsDone.incrementAndGet();
          } else if (event instanceof AgentReplyChunk chunk && chunk.getChunkIndex() == 0) {
            long sent = Long.parseLong(chunk.getTurnId().substring(chunk.getTurnId().lastIndexOf('#') + 1));
            long sentMillis = sentWallClock(sent);
            if (sentMillis >= measureFrom.get()) {
              processorSide.recordValue(Math.max(0, record.timestamp() - sentMillis));
              delivered.recordValue(Math.max(0, System.currentTimeMillis() - sentMillis));
            }
          }
        }
      }
    }
  }

  private static final long NANO_TO_WALL = System.currentTimeMillis() - System.nanoTime() / 1_000_000;

  private static long sentWallClock(long nanos) {
    return NANO_TO_WALL + nanos / 1_000_000;
  }

  private static void await(AtomicLong counter, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (counter.get() < expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }
}
