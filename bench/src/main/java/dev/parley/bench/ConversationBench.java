package dev.parley.bench;

import dev.parley.schemas.TurnId;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.ConfigStatus;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserTurn;
import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.KafkaBroker;
import dev.parley.processor.ProcessorMain;
import dev.parley.router.RouterMain;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Scripted multi-turn conversations through the real text pipeline (a broker, router-stream and
 * llm-processor as their own processes, each agent with its configured providers), judged the way a
 * caller would: are the structured fields what a person would say, are the spoken replies sane, and
 * how long until the first words. See bench/README.md for the cases file format.
 *
 * <pre>./parley bench conversation [--cases FILE] [--model NAME] [--concurrent N [--groups G]] [--agent ID]</pre>
 */
public final class ConversationBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    Options options;
    List<Conversation> cases;
    try {
      options = Options.parse(args);
      cases = Conversation.load(options.cases, options.agent);
    } catch (IllegalArgumentException e) {
      System.err.println("conversation bench: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (options.voice) {
      voice(cases, options);
      System.exit(0);
    }
    System.out.printf("conversation benchmark: %d conversations, %d caller turns from %s%s%n", cases.size(),
        cases.stream().mapToInt(c -> c.turns.size()).sum(), options.cases,
        options.model == null ? "" : ", every agent on model " + options.model);
    Path dir = Files.createTempDirectory("parley-conversation-bench");
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
        Pipeline pipeline = Pipeline.start(broker.bootstrapServers(), dir, cases, options)) {
      List<Result> sequential = new ArrayList<>();
      long started = System.nanoTime();
      int done = 0;
      for (Conversation conversation : cases) {
        Result result = pipeline.run(conversation, "seq");
        sequential.add(result);
        done++;
        System.out.printf("[%d/%d, %d s] %s%n", done, cases.size(), (System.nanoTime() - started) / 1_000_000_000,
            result.headline());
        if (options.verbose) {
          result.turns.forEach(t -> System.out.println("    " + t.transcript()));
        }
      }
      Report report = new Report(sequential);
      report.print();
      String concurrency = "";
      if (options.concurrent > 1) {
        concurrency = concurrent(pipeline, cases, options.concurrent, options.groups, report, 0) + "\n"
            + concurrent(pipeline, cases, options.concurrent, options.groups, report, 1_500);
      }
      System.out.printf("conversation: field accuracy %.1f%%, sane replies %.1f%%, first sentence p50 %d ms%n",
          report.fieldAccuracy() * 100, report.saneRate() * 100, report.firstSentenceP50());
      if (!concurrency.isEmpty()) {
        System.out.println(concurrency);
      }
    }
    System.exit(0);
  }

  /** {@code --voice}: every conversation spoken into a LiveKit room, one at a time, as callers do. */
  private static void voice(List<Conversation> cases, Options options) throws Exception {
    System.out.printf("conversation benchmark, voice: %d conversations, %d caller lines from %s%n", cases.size(),
        cases.stream().mapToInt(c -> c.turns.size()).sum(), options.cases);
    Path dir = Files.createTempDirectory("parley-conversation-bench");
    try (KafkaBroker broker = KafkaBroker.start(dir.resolve("kafka"), 0);
        Pipeline pipeline = Pipeline.start(broker.bootstrapServers(), dir, cases, options);
        VoiceCalls calls = VoiceCalls.start(broker.bootstrapServers(), dir, LocalFiles.environment(), options.callerVoice)) {
      List<Result> results = new ArrayList<>();
      List<VoiceCalls.Heard> heard = new ArrayList<>();
      long started = System.nanoTime();
      for (Conversation conversation : cases) {
        int before = heard.size();
        Result result = calls.call(conversation, pipeline.configs.get(conversation.agent), heard);
        results.add(result);
        List<VoiceCalls.Heard> these = heard.subList(before, heard.size());
        System.out.printf("[%d/%d, %d s] %s; voice to voice %s ms, word errors %d/%d%n", results.size(), cases.size(),
            (System.nanoTime() - started) / 1_000_000_000, result.headline(),
            these.stream().map(h -> String.valueOf(h.voiceToVoiceMs())).toList(),
            these.stream().mapToInt(VoiceCalls.Heard::edits).sum(), these.stream().mapToInt(VoiceCalls.Heard::words).sum());
        if (options.verbose) {
          for (int i = 0; i < result.turns.size(); i++) {
            System.out.println("    heard:  " + these.get(i).heard() + "\n    " + result.turns.get(i).transcript());
          }
        }
      }
      Report report = new Report(results);
      report.print();
      VoiceCalls.VoiceReport voice = new VoiceCalls.VoiceReport(heard);
      voice.print(calls.voiceName());
      System.out.printf(Locale.ROOT, "conversation: field accuracy %.1f%%, sane replies %.1f%%, first sentence p50 %d ms,"
          + " voice to voice p50 %d ms, wer %.1f%%%n", report.fieldAccuracy() * 100, report.saneRate() * 100,
          report.firstSentenceP50(), voice.voiceToVoice(50), voice.wer() * 100);
    }
  }

  /**
   * The same conversations, {@code n} at a time, in {@code groups} groups one after the other (each group n other
   * conversations, so that a figure rests on more turns): does a caller wait longer when others talk too? With
   * {@code staggerMs} 0 every session of a group starts at the same instant and their turns stay in step (a burst:
   * every caller's turn arrives together); otherwise session k starts k × staggerMs later, as calls do.
   */
  private static String concurrent(Pipeline pipeline, List<Conversation> cases, int n, int groups, Report alone,
      long staggerMs) throws Exception {
    int size = Math.min(n * groups, cases.size());
    List<Conversation> picked = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      picked.add(cases.get((int) ((long) i * cases.size() / size)));
    }
    List<Result> results = new ArrayList<>();
    for (int from = 0; from < picked.size(); from += n) {
      List<Conversation> group = picked.subList(from, Math.min(from + n, picked.size()));
      ExecutorService pool = Executors.newFixedThreadPool(group.size());
      List<Future<Result>> futures = new ArrayList<>();
      for (int k = 0; k < group.size(); k++) {
        Conversation conversation = group.get(k);
        long delay = k * staggerMs;
        futures.add(pool.submit(() -> {
          Thread.sleep(delay);
          return pipeline.run(conversation, "con");
        }));
      }
      for (Future<Result> future : futures) {
        results.add(future.get(30, TimeUnit.MINUTES));
      }
      pool.shutdown();
    }
    List<Long> together = new ArrayList<>();
    List<Long> single = new ArrayList<>();
    for (Result result : results) {
      result.turns.forEach(t -> together.add(t.firstSentenceMs));
      alone.results.stream().filter(r -> r.conversation == result.conversation)
          .forEach(r -> r.turns.forEach(t -> single.add(t.firstSentenceMs)));
    }
    long p50Together = Report.percentile(together, 50);
    long p50Alone = Report.percentile(single, 50);
    return String.format(Locale.ROOT, "concurrent: %d sessions at once, %d turns (%s), first sentence p50 %d ms"
        + " (the same conversations alone: %d ms, ratio %.2f), p95 %d ms", Math.min(n, picked.size()), together.size(),
        staggerMs == 0
        ? "all starting together, turns in step" : "starting " + staggerMs + " ms apart", p50Together, p50Alone,
        p50Alone == 0 ? 0 : (double) p50Together / p50Alone, Report.percentile(together, 95));
  }

  // ---------------------------------------------------------------------------------------------
  // The cases

  /** One scripted conversation: an agent, optional room metadata, and the caller's lines with what to expect. */
  record Conversation(String id, String agent, ObjectNode metadata, List<CallerTurn> turns) {
    static List<Conversation> load(Path file, String onlyAgent) throws Exception {
      if (!Files.isReadable(file)) {
        throw new IllegalArgumentException("cases file " + file + " not found");
      }
      JsonNode root;
      try {
        root = JSON.readTree(file.toFile());
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalArgumentException(file + " is not valid JSON: " + e.getOriginalMessage());
      }
      JsonNode list = root.path("conversations");
      if (!list.isArray() || list.isEmpty()) {
        throw new IllegalArgumentException(file + ": expected {\"conversations\": [ ... ]} with at least one conversation");
      }
      List<Conversation> conversations = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        JsonNode node = list.get(i);
        String where = file.getFileName() + ": conversations[" + i + "]";
        String id = node.path("id").asText("conversation-" + i);
        String agent = node.path("agent").asText("");
        if (agent.isBlank()) {
          throw new IllegalArgumentException(where + " (" + id + "): \"agent\" (an agent id) is required");
        }
        JsonNode turns = node.path("turns");
        if (!turns.isArray() || turns.isEmpty()) {
          throw new IllegalArgumentException(where + " (" + id + "): \"turns\" must be a non-empty list");
        }
        List<CallerTurn> callerTurns = new ArrayList<>();
        for (int t = 0; t < turns.size(); t++) {
          JsonNode turn = turns.get(t);
          String say = turn.path("say").asText("");
          if (say.isBlank()) {
            throw new IllegalArgumentException(where + ".turns[" + t + "]: \"say\" (what the caller says) is required");
          }
          JsonNode expect = turn.path("expect");
          if (!expect.isMissingNode() && !expect.isObject()) {
            throw new IllegalArgumentException(where + ".turns[" + t + "]: \"expect\" must be an object of field values");
          }
          callerTurns.add(new CallerTurn(say, expect.isObject() ? (ObjectNode) expect : JSON.createObjectNode()));
        }
        ObjectNode metadata = node.path("metadata").isObject() ? (ObjectNode) node.get("metadata")
            : JSON.createObjectNode();
        if (onlyAgent == null || onlyAgent.equals(agent)) {
          conversations.add(new Conversation(id, agent, metadata, callerTurns));
        }
      }
      if (conversations.isEmpty()) {
        throw new IllegalArgumentException(file + " has no conversation with agent " + onlyAgent);
      }
      return conversations;
    }
  }

  record CallerTurn(String say, ObjectNode expect) {}

  // ---------------------------------------------------------------------------------------------
  // Judging

  /** One answered turn and how it was judged. */
  record Turn(String say, String reply, ObjectNode fields, String outcome, long firstSentenceMs, long llmFirstSentenceMs,
      long turnMs, int fieldsExpected, int fieldsMatched, List<String> fieldMisses, List<String> insane) {
    String transcript() {
      return "caller: " + say + "\n    agent:  " + reply + "\n    fields: " + fields
          + (fieldMisses.isEmpty() ? "" : "\n    MISSED: " + String.join("; ", fieldMisses))
          + (insane.isEmpty() ? "" : "\n    NOT SANE: " + String.join("; ", insane));
    }
  }

  record Result(Conversation conversation, List<Turn> turns) {
    String headline() {
      int expected = turns.stream().mapToInt(Turn::fieldsExpected).sum();
      int matched = turns.stream().mapToInt(Turn::fieldsMatched).sum();
      long sane = turns.stream().filter(t -> t.insane.isEmpty()).count();
      return String.format(Locale.ROOT, "%s (%s): fields %d/%d, sane %d/%d, first sentence %s ms", conversation.id,
          conversation.agent, matched, expected, sane, turns.size(),
          turns.stream().map(t -> String.valueOf(t.llmFirstSentenceMs)).toList());
    }
  }

  /** Compares the agent's fields with the expected values; returns what did not match. */
  static List<String> misses(ObjectNode expect, JsonNode fields) {
    List<String> misses = new ArrayList<>();
    expect.fields().forEachRemaining(e -> {
      JsonNode actual = fields.path(e.getKey());
      if (!matches(e.getValue(), actual)) {
        misses.add(e.getKey() + " expected " + e.getValue() + ", got " + (actual.isMissingNode() ? "nothing" : actual));
      }
    });
    return misses;
  }

  /**
   * A scalar must be equal (text ignoring case); {"any_of": [...]} one of several; {"min": a, "max": b} a
   * number in range; {"contains": "word"} text or a list with an item containing the word;
   * {"nonempty": true|false} a list or text with or without content.
   */
  static boolean matches(JsonNode expected, JsonNode actual) {
    if (expected.isObject()) {
      boolean ok = true;
      if (expected.has("any_of")) {
        boolean any = false;
        for (JsonNode option : expected.get("any_of")) {
          any |= matches(option, actual);
        }
        ok &= any;
      }
      if (expected.has("min")) {
        ok &= actual.isNumber() && actual.asDouble() >= expected.get("min").asDouble();
      }
      if (expected.has("max")) {
        ok &= actual.isNumber() && actual.asDouble() <= expected.get("max").asDouble();
      }
      if (expected.has("contains")) {
        String word = expected.get("contains").asText().toLowerCase(Locale.ROOT);
        boolean found = actual.isTextual() && actual.asText().toLowerCase(Locale.ROOT).contains(word);
        if (actual.isArray()) {
          for (JsonNode item : actual) {
            found |= item.asText().toLowerCase(Locale.ROOT).contains(word);
          }
        }
        ok &= found;
      }
      if (expected.has("nonempty")) {
        boolean nonEmpty = (actual.isArray() && !actual.isEmpty()) || (actual.isTextual() && !actual.asText().isBlank());
        ok &= nonEmpty == expected.get("nonempty").asBoolean();
      }
      return ok;
    }
    if (expected.isTextual()) {
      return actual.isTextual() && actual.asText().strip().equalsIgnoreCase(expected.asText().strip());
    }
    if (expected.isNumber()) {
      return actual.isNumber() && actual.asDouble() == expected.asDouble();
    }
    return expected.equals(actual);
  }

  /**
   * Why a spoken reply is not sane, if it is not: empty, not English sentences, a fallback apology,
   * about the caller instead of to them, an echo of the caller, a repeated sentence (within the reply or
   * from an earlier one), or longer than the agent's instructions allow.
   */
  static List<String> insanity(String reply, String outcome, String say, List<String> earlier, int maxSentences) {
    List<String> problems = new ArrayList<>();
    String text = reply == null ? "" : reply.strip();
    if (text.isEmpty()) {
      return List.of("empty reply");
    }
    if (!"OK".equals(outcome) && !"REPAIRED".equals(outcome)) {
      problems.add("outcome " + outcome);
    }
    long letters = text.chars().filter(c -> Character.isLetter(c) && c < 128).count();
    long odd = text.chars().filter(c -> !(Character.isLetterOrDigit(c) || Character.isWhitespace(c)
        || ".,;:!?'\"()-$%&/".indexOf(c) >= 0)).count();
    if (letters < text.length() * 0.6 || odd > 2 || !Character.isLetterOrDigit(text.charAt(0)) && text.charAt(0) != '"') {
      problems.add("not plain English words");
    }
    List<String> sentences = sentences(text);
    if (sentences.stream().anyMatch(s -> s.split("\\s+").length < 1) || text.split("\\s+").length < 2
        && !text.matches("(?i)(yes|no|sure|okay|ok|great|thanks|thank you)[.!]?")) {
      problems.add("not a sentence");
    }
    String lower = text.toLowerCase(Locale.ROOT);
    if (lower.startsWith("the caller") || lower.startsWith("the user") || lower.startsWith("the customer")
        || lower.contains("system_response") || lower.startsWith("agent:") || lower.startsWith("assistant")) {
      problems.add("talks about the caller or the format instead of to the caller");
    }
    if (normalize(text).equals(normalize(say))) {
      problems.add("echoes the caller");
    }
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (String sentence : sentences) {
      String key = normalize(sentence);
      if (key.length() > 12 && !seen.add(key)) {
        problems.add("repeats a sentence");
        break;
      }
    }
    for (String previous : earlier) {
      for (String sentence : sentences(previous)) {
        String key = normalize(sentence);
        if (key.length() > 25 && seen.contains(key)) {
          problems.add("repeats an earlier reply: \"" + sentence + "\"");
          break;
        }
      }
    }
    if (sentences.size() > maxSentences) {
      problems.add(sentences.size() + " sentences, the instructions allow " + maxSentences);
    }
    if (text.split("\\s+").length > 20 * maxSentences) {
      problems.add("too long for speech (" + text.split("\\s+").length + " words)");
    }
    return problems;
  }

  static List<String> sentences(String text) {
    List<String> sentences = new ArrayList<>();
    for (String part : text.split("(?<=[.!?])\\s+")) {
      if (!part.isBlank()) {
        sentences.add(part.strip());
      }
    }
    return sentences;
  }

  private static String normalize(String text) {
    return text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 ]", "").replaceAll("\\s+", " ").strip();
  }

  /** The reply length an agent's instructions ask for ("one or two short sentences" is 2); 3 if they say none. */
  static int maxSentences(String instructions) {
    String lower = instructions.toLowerCase(Locale.ROOT);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
        "(?:(one|two|three|four|\\d) or )?(one|two|three|four|\\d)(?: short)? sentences?(?: at most)?").matcher(lower);
    int best = -1;
    while (m.find()) {
      best = Math.max(best, number(m.group(2)));
    }
    return best > 0 ? best : 3;
  }

  private static int number(String word) {
    return switch (word) {
      case "one" -> 1;
      case "two" -> 2;
      case "three" -> 3;
      case "four" -> 4;
      default -> Integer.parseInt(word);
    };
  }

  // ---------------------------------------------------------------------------------------------
  // The report

  static final class Report {
    final List<Result> results;

    Report(List<Result> results) {
      this.results = results;
    }

    List<Turn> turns() {
      return results.stream().flatMap(r -> r.turns.stream()).toList();
    }

    double fieldAccuracy() {
      int expected = turns().stream().mapToInt(Turn::fieldsExpected).sum();
      return expected == 0 ? 1 : (double) turns().stream().mapToInt(Turn::fieldsMatched).sum() / expected;
    }

    double saneRate() {
      return turns().isEmpty() ? 0 : (double) turns().stream().filter(t -> t.insane.isEmpty()).count() / turns().size();
    }

    long firstSentenceP50() {
      return percentile(turns().stream().map(Turn::llmFirstSentenceMs).toList(), 50);
    }

    void print() {
      Map<String, List<Result>> byAgent = new LinkedHashMap<>();
      results.forEach(r -> byAgent.computeIfAbsent(r.conversation.agent, k -> new ArrayList<>()).add(r));
      System.out.println();
      System.out.printf("%-24s %6s %9s %9s %13s %13s %13s%n", "agent", "turns", "fields", "sane", "LLM 1st p50/95",
          "e2e 1st p50/95", "turn p50/95");
      byAgent.forEach((agent, list) -> row(agent, new Report(list)));
      row("overall", this);
      List<Turn> bad = turns().stream().filter(t -> !t.insane.isEmpty() || !t.fieldMisses.isEmpty()).toList();
      if (!bad.isEmpty()) {
        System.out.println();
        System.out.println("turns with a missed field or a reply that is not sane:");
        bad.forEach(t -> System.out.println("  " + t.transcript()));
      }
      System.out.println();
    }

    private static void row(String name, Report report) {
      List<Turn> turns = report.turns();
      int expected = turns.stream().mapToInt(Turn::fieldsExpected).sum();
      int matched = turns.stream().mapToInt(Turn::fieldsMatched).sum();
      long sane = turns.stream().filter(t -> t.insane.isEmpty()).count();
      System.out.printf(Locale.ROOT, "%-24s %6d %4d/%-4d %4d/%-4d %6d/%-6d %6d/%-6d %6d/%-6d%n", name, turns.size(),
          matched, expected, sane, turns.size(),
          percentile(turns.stream().map(Turn::llmFirstSentenceMs).toList(), 50),
          percentile(turns.stream().map(Turn::llmFirstSentenceMs).toList(), 95),
          percentile(turns.stream().map(Turn::firstSentenceMs).toList(), 50),
          percentile(turns.stream().map(Turn::firstSentenceMs).toList(), 95),
          percentile(turns.stream().map(Turn::turnMs).toList(), 50),
          percentile(turns.stream().map(Turn::turnMs).toList(), 95));
    }

    static long percentile(List<Long> values, int p) {
      if (values.isEmpty()) {
        return 0;
      }
      List<Long> sorted = values.stream().sorted().toList();
      int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
      return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The pipeline

  /** A broker's topics, the agents' configs, router-stream and llm-processor processes, and a caller. */
  static final class Pipeline implements AutoCloseable {
    private final List<JavaProcess> processes = new ArrayList<>();
    private final Map<String, AgentConfig> configs = new HashMap<>();
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, BlockingQueue<AgentReply>> inbox = new ConcurrentHashMap<>();
    private final Thread reader;
    private volatile boolean running = true;
    private final String run = UUID.randomUUID().toString().substring(0, 6);

    private Pipeline(String bootstrap) {
      producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ProducerConfig.LINGER_MS_CONFIG, 0), new StringSerializer(), new ByteArraySerializer());
      consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20),
          new StringDeserializer(), new ByteArrayDeserializer());
      reader = new Thread(this::read, "replies-reader");
      reader.setDaemon(true);
    }

    static Pipeline start(String bootstrap, Path dir, List<Conversation> cases, Options options) throws Exception {
      Pipeline pipeline = new Pipeline(bootstrap);
      try {
        pipeline.publish(bootstrap, cases, options.model);
        Map<String, String> env = new HashMap<>(LocalFiles.environment());
        env.put("PARLEY_KAFKA_BOOTSTRAP", bootstrap);
        env.put("PARLEY_AGENTS", String.join(",", pipeline.configs.keySet()));
        env.put("PARLEY_ROUTER_STATE_DIR", dir.resolve("router").toString());
        env.put("PARLEY_ROUTER_APP_ID", "router-bench-" + pipeline.run);
        System.out.printf("starting router-stream and llm-processor (logs in %s)...%n", dir);
        pipeline.processes.add(JavaProcess.start("router-stream", RouterMain.class.getName(), env,
            dir.resolve("router.log")).awaitLog("-> RUNNING", Duration.ofSeconds(120)));
        JavaProcess processor = JavaProcess.start("llm-processor", ProcessorMain.class.getName(), env,
            dir.resolve("processor.log")).awaitLog("took over partitions", Duration.ofSeconds(120));
        pipeline.processes.add(processor);
        // a stack is up before calls come: let the processor read each local agent's instructions first
        for (Map.Entry<String, AgentConfig> agent : pipeline.configs.entrySet()) {
          String provider = agent.getValue().llmConfig().provider();
          if (provider == null || provider.equals("local")) {
            processor.awaitLog(agent.getKey() + ": local model ready", Duration.ofSeconds(180));
          }
        }
        List<TopicPartition> partitions = new ArrayList<>();
        pipeline.consumer.partitionsFor(Topics.AGENT_REPLIES.name(), Duration.ofSeconds(10)).forEach(p ->
            partitions.add(new TopicPartition(p.topic(), p.partition())));
        pipeline.consumer.assign(partitions);
        pipeline.consumer.seekToEnd(partitions);
        partitions.forEach(pipeline.consumer::position);
        pipeline.reader.start();
        return pipeline;
      } catch (Exception | AssertionError e) {
        pipeline.close();
        throw e;
      }
    }

    private void publish(String bootstrap, List<Conversation> cases, String model) throws Exception {
      java.util.Set<String> agents = new java.util.TreeSet<>();
      cases.forEach(c -> agents.add(c.agent));
      Map<String, AgentConfig> seeds = new HashMap<>();
      SeedAgents.all().forEach(c -> seeds.put(c.agentId(), c));
      List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
      for (String agent : agents) {
        AgentConfig seed = seeds.get(agent);
        if (seed == null) {
          throw new IllegalArgumentException("agent " + agent + " is not a seed agent (" + SeedAgents.IDS + ")");
        }
        ObjectNode json = AgentConfigJson.tree(seed.withDefaults());
        json.put("version", 1).put("status", "active");
        if (model != null) {
          json.with("llm_config").put("model", model);
        }
        configs.put(agent, AgentConfigJson.fromTree(json));
        topics.add(Topics.agent(agent));
      }
      try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
        new TopicProvisioner(admin, (short) 1).ensure(topics);
      }
      try (var configProducer = new KafkaProducer<>(Map.<String, Object>of("bootstrap.servers", bootstrap),
          Serdes.String().serializer(), Topics.AGENT_CONFIGS.valueSerde().serializer())) {
        for (Map.Entry<String, AgentConfig> e : configs.entrySet()) {
          configProducer.send(new ProducerRecord<>(Topics.AGENT_CONFIGS.name(), e.getKey(), AgentConfigSnapshot.newBuilder()
              .setAgentId(e.getKey()).setTenantId(e.getValue().tenantId()).setVersion(1).setStatus(ConfigStatus.ACTIVE)
              .setConfigJson(AgentConfigJson.tree(e.getValue()).toString()).setUpdatedAt(Instant.now()).build())).get();
        }
      }
    }

    private void read() {
      while (running) {
        try {
          for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(20))) {
            BlockingQueue<AgentReply> queue = inbox.get(record.key());
            if (queue != null) {
              queue.add(Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(null, record.value()));
            }
          }
        } catch (org.apache.kafka.common.errors.WakeupException | IllegalStateException e) {
          return;
        }
      }
    }

    /** Plays one conversation as a caller who listens to each reply before speaking again. */
    Result run(Conversation conversation, String tag) throws Exception {
      String session = "bench-" + tag + "-" + run + "-" + conversation.id + "-" + UUID.randomUUID().toString().substring(0, 4);
      BlockingQueue<AgentReply> queue = new LinkedBlockingQueue<>();
      inbox.put(session, queue);
      AgentConfig config = configs.get(conversation.agent);
      ObjectNode metadata = conversation.metadata.deepCopy();
      metadata.put("agent_id", conversation.agent);
      send(Topics.SESSIONS.name(), session, Topics.SESSIONS.valueSerde().serializer().serialize(null, new SessionEvent(
          SessionStarted.newBuilder().setSessionId(session).setRoomName(session).setParticipantIdentity("caller")
              .setUserId("bench").setRoomMetadata(metadata.toString()).setStartedAt(Instant.now()).build())));
      Answer greeting = await(queue, TurnId.greeting(session).toString(), Duration.ofMinutes(3));
      pause(greeting == null ? "" : greeting.text, "");
      List<Turn> turns = new ArrayList<>();
      List<String> earlier = new ArrayList<>();
      if (greeting != null) {
        earlier.add(greeting.text);
      }
      int maxSentences = maxSentences(config.promptConfig().instructions());
      for (int i = 0; i < conversation.turns.size(); i++) {
        CallerTurn line = conversation.turns.get(i);
        String turnId = TurnId.line(session, i).toString();
        long sent = System.nanoTime();
        Instant now = Instant.now();
        send(Topics.USER_TURNS.name(), session, Topics.USER_TURNS.valueSerde().serializer().serialize(null, new UserEvent(
            UserTurn.newBuilder().setSessionId(session).setTurnId(turnId).setTurnIndex(i).setTranscript(line.say)
                .setSpeechStartedAt(now).setSpeechStoppedAt(now).setTranscribedAt(now).setSttProvider("bench").build())));
        Answer answer = await(queue, turnId, Duration.ofMinutes(3));
        if (answer == null) {
          turns.add(new Turn(line.say, "", JSON.createObjectNode(), "NO_ANSWER", 180_000, 180_000, 180_000,
              line.expect.size(), 0, List.of("no answer within 3 minutes"), List.of("no answer")));
          continue;
        }
        AgentTurn turn = answer.turn;
        ObjectNode fields = turn.getStructuredFields() == null ? JSON.createObjectNode()
            : (ObjectNode) JSON.readTree(turn.getStructuredFields());
        List<String> misses = misses(line.expect, fields);
        List<String> insane = new ArrayList<>(insanity(turn.getSystemResponse(), turn.getOutcome().name(), line.say,
            earlier, maxSentences));
        if (turn.getFallbackReason() != null && !insane.isEmpty()) {
          insane.add("fallback reason: " + turn.getFallbackReason());
        }
        turns.add(new Turn(line.say, turn.getSystemResponse(), fields, turn.getOutcome().name(),
            (answer.firstChunkNanos - sent) / 1_000_000, turn.getTimeToFirstChunkMs() == null ? -1
            : turn.getTimeToFirstChunkMs(), (answer.turnNanos - sent) / 1_000_000, line.expect.size(),
            line.expect.size() - misses.size(), misses, insane));
        earlier.add(turn.getSystemResponse());
        pause(turn.getSystemResponse(), i + 1 < conversation.turns.size() ? conversation.turns.get(i + 1).say : "");
      }
      send(Topics.SESSIONS.name(), session, Topics.SESSIONS.valueSerde().serializer().serialize(null, new SessionEvent(
          new SessionEnded(session, "caller_left", Instant.now()))));
      inbox.remove(session);
      return new Result(conversation, turns);
    }

    /**
     * A short pause between the agent's reply and the caller's next line (1 s plus 40 ms a word, at most
     * 3 s): far less than a real caller takes to listen and speak (~0.4 s a word), so the figures do not
     * flatter the pipeline, yet sessions run side by side overlap as they would in calls.
     */
    private static void pause(String reply, String next) throws InterruptedException {
      int words = reply.split("\\s+").length + next.split("\\s+").length;
      Thread.sleep(Math.min(3_000, 1_000L + 40L * words));
    }

    private record Answer(String text, AgentTurn turn, long firstChunkNanos, long turnNanos) {}

    private static Answer await(BlockingQueue<AgentReply> queue, String turnId, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      long firstChunk = -1;
      while (System.nanoTime() < deadline) {
        AgentReply reply = queue.poll(100, TimeUnit.MILLISECONDS);
        if (reply == null) {
          continue;
        }
        if (reply.getEvent() instanceof AgentReplyChunk chunk && chunk.getTurnId().equals(turnId) && firstChunk < 0) {
          firstChunk = System.nanoTime();
        } else if (reply.getEvent() instanceof AgentTurn turn && turn.getTurnId().equals(turnId)) {
          long now = System.nanoTime();
          return new Answer(turn.getSystemResponse(), turn, firstChunk < 0 ? now : firstChunk, now);
        }
      }
      return null;
    }

    private void send(String topic, String key, byte[] value) throws Exception {
      producer.send(new ProducerRecord<>(topic, key, value)).get(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      running = false;
      try {
        reader.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      producer.close(Duration.ofSeconds(5));
      consumer.close(Duration.ofSeconds(5));
      for (int i = processes.size() - 1; i >= 0; i--) {
        processes.get(i).close();
      }
    }
  }

  /** The local model files from the environment, else where ./parley setup puts them (as parley up finds them). */
  static final class LocalFiles {
    static Map<String, String> environment() {
      return dev.parley.launcher.Defaults.localModels(System.getenv());
    }
  }

  static final class Options {
    Path cases = Path.of("bench", "conversations.json");
    String model;
    String agent;
    int concurrent = 4;
    int groups = 1;
    boolean voice;
    String callerVoice = dev.parley.speech.SpeechProviders.CALLER_VOICE;
    boolean verbose;

    static Options parse(String[] args) {
      Options options = new Options();
      for (int i = 0; i < args.length; i++) {
        switch (args[i]) {
          case "--cases" -> options.cases = Path.of(value(args, ++i, "--cases"));
          case "--model" -> options.model = value(args, ++i, "--model");
          case "--agent" -> options.agent = value(args, ++i, "--agent");
          case "--concurrent" -> options.concurrent = wholeNumber(args, ++i, "--concurrent");
          case "--groups" -> {
            options.groups = wholeNumber(args, ++i, "--groups");
            if (options.groups < 1) {
              throw new IllegalArgumentException("--groups needs 1 or more, not " + options.groups);
            }
          }
          case "--voice" -> options.voice = true;
          case "--caller-voice" -> {
            options.callerVoice = value(args, ++i, "--caller-voice");
            if (!dev.parley.speech.SpeechProviders.MEASURED_VOICES.contains(options.callerVoice)
                && !options.callerVoice.equals(dev.parley.speech.SpeechProviders.CALLER_VOICE)) {
              throw new IllegalArgumentException("--caller-voice is " + dev.parley.speech.SpeechProviders.CALLER_VOICE
                  + " or one of " + dev.parley.speech.SpeechProviders.MEASURED_VOICES + ", not " + options.callerVoice);
            }
          }
          case "-v", "--verbose" -> options.verbose = true;
          default -> throw new IllegalArgumentException("unknown option " + args[i] + "; usage: ./parley bench conversation"
              + " [--cases FILE] [--model NAME] [--agent ID] [--concurrent N [--groups G]] [--voice [--caller-voice joe-low|joe|slt|rms|awb|kevin16]]"
              + " [--verbose]");
        }
      }
      return options;
    }

    private static int wholeNumber(String[] args, int i, String option) {
      try {
        return Integer.parseInt(value(args, i, option));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " needs a whole number, not " + args[i]);
      }
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[i];
    }
  }
}
