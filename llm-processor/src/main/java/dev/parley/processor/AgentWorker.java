package dev.parley.processor;

import dev.parley.schemas.TurnId;
import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.llm.SessionHistory;
import dev.parley.llm.TurnResponder;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.RoutedEvent;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionSummary;
import dev.parley.events.SessionStarted;
import dev.parley.events.TurnOutcome;
import dev.parley.events.UserSpeechStopped;
import dev.parley.events.UserTurn;
import dev.parley.kit.DeadLetters;
import dev.parley.kit.TurnDeduplicator;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one agent: a consumer in the agent's own group ({@code parley-llm-<agent>}) on
 * {@code parley.agent.<agent>.v1}, answering each session's turns in order while sessions run in
 * parallel. Offsets are committed only up to the oldest unfinished record; a turn whose answer is
 * already on {@code parley.agent-replies.v1} (seen at take-over or earlier) is not answered again.
 */
final class AgentWorker implements Runnable, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentWorker.class);
  static final String STAGE = "llm-processor";
  /** Per session, when the record being handled was received (the lane handles one record at a time). */
  private final Map<String, byte[]> receivedAt = new ConcurrentHashMap<>();
  private final byte[] instanceName;
  private final String agentId;
  private final ProcessorConfig config;
  private final AgentConfigCache configs;
  private final TurnResponder responder;
  private final Producer<byte[], byte[]> producer;
  private final ProcessorMetrics metrics;
  private final HistoryBootstrap bootstrap;
  private final KeyedExecutor executor;
  /** Drafts of callers' words read into the model beside the sessions' lanes (see {@link ReadAheads}). */
  private final ReadAheads readAheads = new ReadAheads(java.util.concurrent.Executors.newCachedThreadPool(r -> {
    Thread thread = new Thread(r, "read-ahead");
    thread.setDaemon(true);
    return thread;
  }));
  /** How long a turn waits for the read of its draft that is still running. */
  static final Duration READ_AHEAD_WAIT = Duration.ofSeconds(3);
  private final OffsetTracker tracker = new OffsetTracker();
  private final TurnDeduplicator answered = new TurnDeduplicator(200_000);
  private final Map<String, SessionHistory> histories = new ConcurrentHashMap<>();
  /** The structured fields of each session's latest answer that had them: what its summary reports. */
  private final Map<String, ObjectNode> lastFields = new ConcurrentHashMap<>();
  /** "session#field" of the escalations already sent (kept across a take-over: read back with the history). */
  private final java.util.Set<String> escalated = ConcurrentHashMap.newKeySet();
  /**
   * Partitions this instance was dropped from while it was busy (its group session expired: heartbeats late on a
   * loaded machine): their turns in flight here belong to the new owner now, so nothing more of them is published.
   */
  private final java.util.Set<Integer> fenced = ConcurrentHashMap.newKeySet();
  /** When each partition was last assigned here (epoch ms): turns received soon after may be another's, finished. */
  private final Map<Integer, Long> assignedAt = new ConcurrentHashMap<>();
  /** How long after an assignment a turn's final answer is checked against the replies topic before it goes out. */
  static final long TAKE_OVER_CHECK_MS = 15_000;
  private volatile KafkaConsumer<String, byte[]> consumer;
  private volatile boolean running = true;

  AgentWorker(String agentId, ProcessorConfig config, AgentConfigCache configs, TurnResponder responder,
      Producer<byte[], byte[]> producer, ProcessorMetrics metrics, ExecutorService pool) {
    this.agentId = agentId;
    this.config = config;
    this.instanceName = config.instanceName().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    this.configs = configs;
    this.responder = responder;
    this.producer = producer;
    this.metrics = metrics;
    this.bootstrap = new HistoryBootstrap(config.bootstrapServers(), config.historyLookback());
    this.executor = new KeyedExecutor(pool);
    this.consumer = newConsumer(config.failoverMs());
  }

  private KafkaConsumer<String, byte[]> newConsumer(int sessionTimeoutMs) {
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "parley-llm-" + agentId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // a peer takes a dead instance's sessions once it misses heartbeats for this long
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, sessionTimeoutMs);
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, dev.parley.kit.Failover.heartbeatMs(sessionTimeoutMs));
    // survivors keep answering their own sessions while a dead peer's partitions are handed out
    props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        org.apache.kafka.clients.consumer.CooperativeStickyAssignor.class.getName());
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 500); // a waiting fetch returns as soon as a record arrives: a short wait only costs the broker CPU
    if (!config.instanceId().isBlank()) {
      props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.instanceId() + "-" + agentId);
    }
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  @Override
  public void run() {
    Thread prewarm = new Thread(this::prewarm, "prewarm-" + agentId);
    prewarm.setDaemon(true);
    prewarm.start();
    consumer.subscribe(List.of(Topics.agent(agentId).name()), new Rebalance());
    try {
      while (running) {
        ConsumerRecords<String, byte[]> records;
        try {
          records = consumer.poll(Duration.ofMillis(50));
        } catch (org.apache.kafka.common.errors.InvalidSessionTimeoutException e) {
          fallBackToSlowFailover(e);
          continue;
        }
        byte[] polledAt = Long.toString(System.currentTimeMillis()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (ConsumerRecord<String, byte[]> record : records) {
          TopicPartition partition = new TopicPartition(record.topic(), record.partition());
          tracker.started(partition, record.offset());
          executor.submit(record.key() == null ? "" : record.key(), () -> handle(record, polledAt),
              () -> tracker.finished(partition, record.offset()));
        }
        applyBackPressure();
        var offsets = tracker.committable();
        if (!offsets.isEmpty()) {
          consumer.commitAsync(offsets, (o, e) -> {
            if (e != null) {
              log.warn("offset commit for {} failed: {}", agentId, e.getMessage());
            }
          });
        }
      }
      drain(consumer.assignment());
    } catch (org.apache.kafka.common.errors.WakeupException e) {
      // closing
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /**
   * Reads the agent's instructions and greeting into the model's prompt cache before the first call (the
   * local model then starts too), so a new call's own warm-up finds them there instead of reading ~300
   * tokens while the call starts. Only for agents on the local provider; best effort.
   */
  private void prewarm() {
    long deadline = System.currentTimeMillis() + 120_000;
    while (running && System.currentTimeMillis() < deadline) {
      java.util.Optional<dev.parley.agentconfig.AgentConfig> config = configs.latest(agentId);
      if (config.isPresent()) {
        String provider = config.get().llmConfig() == null ? null : config.get().llmConfig().provider();
        boolean archived = dev.parley.agentconfig.AgentConfig.ARCHIVED.equals(config.get().status());
        if (!archived && (provider == null || provider.equals("local"))
            && config.get().promptConfig().greeting() != null) {
          long start = System.nanoTime();
          // several agents start at once on two cores: a first try can run out of time while the others read
          for (int attempt = 1; attempt <= 3 && running; attempt++) {
            try {
              responder.warmOrFail(config.get(), List.of(new SessionHistory.Exchange("prewarm", "",
                  config.get().promptConfig().greeting())));
              log.info("{}: local model ready, instructions and greeting cached in {} ms", agentId,
                  (System.nanoTime() - start) / 1_000_000);
              break;
            } catch (RuntimeException e) {
              log.warn("{}: reading the instructions into the local model's cache failed (attempt {} of 3): {}",
                  agentId, attempt, e.getMessage());
            }
          }
        }
        return;
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** The broker refuses our session timeout (its group.min.session.timeout.ms is higher): rejoin with Kafka's usual one. */
  private void fallBackToSlowFailover(RuntimeException e) {
    log.warn("{}: {} ({})", agentId, dev.parley.kit.Failover.refused(config.failoverMs(), "a dead instance's sessions"
        + " will wait " + dev.parley.kit.Failover.FALLBACK_MS / 1000 + " s for a peer"), e.getMessage());
    consumer.close(Duration.ofSeconds(1));
    consumer = newConsumer(dev.parley.kit.Failover.FALLBACK_MS);
    consumer.subscribe(List.of(Topics.agent(agentId).name()), new Rebalance());
  }

  private void applyBackPressure() {
    List<TopicPartition> pause = new ArrayList<>();
    List<TopicPartition> resume = new ArrayList<>();
    for (TopicPartition partition : consumer.assignment()) {
      int inFlight = tracker.inFlight(partition);
      if (inFlight >= config.maxInFlightPerPartition()) {
        pause.add(partition);
      } else if (inFlight < config.maxInFlightPerPartition() / 2 && consumer.paused().contains(partition)) {
        resume.add(partition);
      }
    }
    consumer.pause(pause);
    consumer.resume(resume);
  }

  /** Waits (bounded) for the partitions' unfinished records, then commits them synchronously. */
  private void drain(Collection<TopicPartition> partitions) {
    long deadline = System.currentTimeMillis() + 20_000;
    while (partitions.stream().anyMatch(p -> tracker.inFlight(p) > 0) && System.currentTimeMillis() < deadline) {
      sleep(20);
    }
    try {
      consumer.commitSync(tracker.committable(), Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      log.warn("final commit for {} failed: {}", agentId, e.getMessage());
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      drain(partitions);
      tracker.forget(partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      List<Integer> numbers = partitions.stream().map(TopicPartition::partition).toList();
      fenced.addAll(numbers);
      tracker.forget(partitions);
      log.warn("{}: dropped from the group (its heartbeats came too late): partitions {} went to another instance;"
          + " their turns in flight here are left to it", agentId, numbers);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      List<Integer> numbers = partitions.stream().map(TopicPartition::partition).toList();
      fenced.removeAll(numbers);
      long now = System.currentTimeMillis();
      numbers.forEach(n -> assignedAt.put(n, now));
      long start = System.nanoTime();
      int turns = bootstrap.replay(agentId, numbers, (session, turn) -> {
        answered.firstTime(turn.getTurnId());
        history(session).add(new SessionHistory.Exchange(turn.getTurnId(), turn.getUserTranscript(),
            turn.getSystemResponse()));
        ObjectNode recorded = parseFields(turn.getStructuredFields());
        remember(session, turn.getOutcome(), recorded);
        if (recorded != null) {
          // an escalation an earlier owner sent is not sent again (any true boolean escalation-like field)
          recorded.fields().forEachRemaining(f -> {
            if (f.getValue().isBoolean() && f.getValue().asBoolean()) {
              escalated.add(TurnId.prefixOf(session) + f.getKey());
            }
          });
        }
      });
      log.info("{}: took over partitions {}; {} earlier turns read back from the replies topic in {} ms", agentId,
          numbers, turns, (System.nanoTime() - start) / 1_000_000);
    }
  }

  /** The longest transcript sent to the model (about five minutes of speech); longer ones are cut and the cut noted. */
  static final int MAX_TRANSCRIPT_CHARS = 4000;

  private void handle(ConsumerRecord<String, byte[]> record, byte[] polledAt) {
    if (record.key() != null) {
      receivedAt.put(record.key(), polledAt);
    }
    RoutedEvent event;
    try {
      event = AvroSerde.of(RoutedEvent.class).decode(record.value());
      if (event == null || record.key() == null) {
        throw new IllegalArgumentException("routed record without session key or value");
      }
    } catch (RuntimeException e) {
      deadLetter(record, e);
      return;
    }
    try {
      if (event.getEvent() instanceof UserTurn turn) {
        respond(record.key(), event, turn.getTurnId(), turn.getTranscript());
      } else if (event.getEvent() instanceof SessionStarted) {
        greet(record.key(), event);
      } else if (event.getEvent() instanceof SessionEnded ended) {
        readAheads.forget(record.key());
        summarize(record.key(), event, ended);
        receivedAt.remove(record.key());
      } else if (event.getEvent() instanceof UserSpeechStopped stopped && stopped.getDraftTranscript() != null) {
        readAheads.offer(record.key(), () -> readAhead(record.key(), event, stopped));
      }
    } catch (RuntimeException e) {
      log.error("{}: turn of session {} failed unexpectedly", agentId, record.key(), e);
      deadLetter(record, e);
    }
  }

  private void greet(String session, RoutedEvent event) {
    String turnId = TurnId.greeting(session).toString();
    if (!answered.firstTime(turnId)) {
      metrics.duplicate(agentId);
      return;
    }
    readAheads.turnStarts(session, READ_AHEAD_WAIT); // no draft is read before the greeting is in the history
    try {
      sayGreeting(session, event, turnId);
    } finally {
      readAheads.turnEnds(session);
    }
  }

  private void sayGreeting(String session, RoutedEvent event, String turnId) {
    AgentConfigCache.Found found = findConfig(event);
    java.util.Optional.ofNullable(found).map(f -> f.config().promptConfig().greeting())
        .filter(g -> g != null && !g.isBlank())
        .ifPresent(greeting -> {
          long start = System.nanoTime();
          List<Future<RecordMetadata>> sent = new ArrayList<>();
          sent.add(send(session, new AgentReply(chunk(session, turnId, event, 0, greeting))));
          TurnResponder.Answer answer = new TurnResponder.Answer(greeting,
              dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode(), TurnOutcome.OK, null, null, 0, 1);
          finish(session, event, turnId, "", answer, sent, start, found);
          history(session).add(new SessionHistory.Exchange(turnId, "", greeting));
          // while the greeting plays, the model reads the instructions and greeting into its prompt cache
          responder.warm(found.config(), history(session).exchanges());
        });
  }

  /**
   * The caller paused: their words so far are read into the model's cache while ingress confirms the end of
   * the turn, so the turn, when it comes, starts sooner. Nothing is answered or recorded; a draft for a turn
   * already answered (it arrived late) or of a session without a config is ignored.
   */
  private void readAhead(String session, RoutedEvent event, UserSpeechStopped stopped) {
    Integer index = stopped.getTurnIndex();
    if (index == null || history(session).answered(TurnId.line(session, index).toString())) {
      return;
    }
    AgentConfigCache.Found found = findConfig(event);
    if (found == null) {
      return;
    }
    String draft = stopped.getDraftTranscript();
    long start = System.nanoTime();
    boolean read = responder.readAhead(found.config(), history(session).exchanges(),
        draft.length() > MAX_TRANSCRIPT_CHARS ? draft.substring(0, MAX_TRANSCRIPT_CHARS) : draft);
    log.info("{}: session {} turn {}: read ahead {} characters in {} ms{}", agentId, session, index, draft.length(),
        (System.nanoTime() - start) / 1_000_000, read ? "" : " (the provider could not)");
  }

  private void respond(String session, RoutedEvent event, String turnId, String transcript) {
    SessionHistory history = history(session);
    if (history.answered(turnId) || !answered.firstTime(turnId)) {
      metrics.duplicate(agentId);
      return;
    }
    readAheads.turnStarts(session, READ_AHEAD_WAIT);
    try {
      answer(session, event, turnId, transcript, history);
    } finally {
      readAheads.turnEnds(session);
    }
  }

  private void answer(String session, RoutedEvent event, String turnId, String transcript, SessionHistory history) {
    long start = System.nanoTime();
    String cut = null;
    if (transcript.length() > MAX_TRANSCRIPT_CHARS) { // minutes of speech, or a broken upstream: bounded either way
      cut = "transcript cut from " + transcript.length() + " to " + MAX_TRANSCRIPT_CHARS + " characters";
      log.warn("{}: turn {} of session {}: {}", agentId, turnId, session, cut);
      transcript = transcript.substring(0, MAX_TRANSCRIPT_CHARS);
    }
    boolean lost = event.getEvent() instanceof UserTurn turn && turn.getAudioLost();
    if (lost) { // what the conversation records in place of the words
      transcript = "(the caller's words were lost: their listener crashed)";
    }
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    AgentConfigCache.Found found = findConfig(event);
    TurnResponder.Answer answer;
    String fixed = lost ? TurnResponder.LOST_WORDS : found == null ? TurnResponder.APOLOGY : null;
    if (fixed != null) { // said without the model: nothing to answer, or nothing to answer with
      TurnResponder.ChunkSink sink = (i, text) -> sent.add(send(session, new AgentReply(chunk(session, turnId, event,
          i, text))));
      sink.chunk(0, fixed);
      answer = new TurnResponder.Answer(fixed, dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode(),
          TurnOutcome.FALLBACK, lost ? "the caller's words were lost with their listener (ingress-worker crashed)"
          : "no config for agent " + agentId, null, -1, 1);
    } else {
      answer = responder.answer(found.config(), history.exchanges(), transcript,
          (i, text) -> sent.add(send(session, new AgentReply(chunk(session, turnId, event, i, text)))));
    }
    if (cut != null) {
      answer = answer.withNote(cut);
    }
    finish(session, event, turnId, transcript, answer, sent, start, found);
    history.add(new SessionHistory.Exchange(turnId, transcript, answer.spoken()));
  }

  /** How long a turn waits for the config version it was routed with to reach this processor's cache. */
  static final Duration VERSION_WAIT = Duration.ofSeconds(3);

  private AgentConfigCache.Found findConfig(RoutedEvent event) {
    var found = configs.find(agentId, event.getConfigVersion());
    // not found, or not that version: a version routed before this processor has read it (just published, or the
    // processor just started) is waited for, not answered with an older one
    if (found.isEmpty() || found.get().note() != null) {
      try {
        configs.awaitCaughtUp(Duration.ofSeconds(10));
        long deadline = System.nanoTime() + VERSION_WAIT.toNanos();
        found = configs.find(agentId, event.getConfigVersion());
        while ((found.isEmpty() || found.get().note() != null) && System.nanoTime() < deadline) {
          Thread.sleep(50);
          found = configs.find(agentId, event.getConfigVersion());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return found.orElse(null);
  }

  /**
   * For a turn received soon after its partition came here: whether the instance that held the partition before
   * (dropped from the group while still working, not dead) finished it meanwhile. The take-over read of the replies
   * topic happened before that answer was written, so the topic is read again, from just before the assignment.
   */
  private boolean answeredElsewhere(String session, String turnId) {
    Long since = assignedAt.get(Topics.partitionOf(session));
    long now = System.currentTimeMillis();
    if (since == null || now - since > TAKE_OVER_CHECK_MS) {
      return false;
    }
    boolean[] found = {false};
    try {
      dev.parley.kit.TopicWindow.read(config.bootstrapServers(), Topics.AGENT_REPLIES.name(),
          List.of(Topics.partitionOf(session)), Duration.ofMillis(now - since + 5_000), Duration.ofSeconds(2), r -> {
            if (session.equals(r.key()) && !java.util.Arrays.equals(instanceName, header(r))) {
              AgentReply reply = AvroSerde.of(AgentReply.class).decode(r.value());
              found[0] |= reply != null && reply.getEvent() instanceof AgentTurn t && t.getTurnId().equals(turnId);
            }
          });
    } catch (RuntimeException e) {
      log.warn("{}: cannot check whether turn {} was finished elsewhere: {}", agentId, turnId, e.getMessage());
    }
    return found[0];
  }

  private static byte[] header(ConsumerRecord<String, byte[]> record) {
    var header = record.headers().lastHeader(Topics.REPLY_INSTANCE_HEADER);
    return header == null ? null : header.value();
  }

  /** Publishes the final turn; {@code found} is the config used (null when none was found). */
  private void finish(String session, RoutedEvent event, String turnId, String transcript,
      TurnResponder.Answer answer, List<Future<RecordMetadata>> sent, long start, AgentConfigCache.Found found) {
    long total = System.nanoTime() - start;
    ObjectNode fields = answer.fields();
    String reason = answer.fallbackReason();
    String note = found == null ? null : found.note();
    if (note != null) {
      reason = reason == null ? note : note + "; " + reason;
    }
    AgentTurn turn = AgentTurn.newBuilder()
        .setSessionId(session)
        .setTurnId(turnId)
        .setAgentId(agentId)
        .setConfigVersion(event.getConfigVersion())
        .setSchemaId(found == null ? "unknown" : found.config().schemaConfig().schemaId())
        .setSystemResponse(answer.spoken())
        .setStructuredFields(fields.toString())
        .setProvider(answer.completion() == null || found == null ? "none" : found.config().llmConfig().provider())
        .setModel(answer.completion() == null ? "none" : answer.completion().model())
        .setPromptTokens(answer.completion() == null ? 0 : answer.completion().promptTokens())
        .setCompletionTokens(answer.completion() == null ? 0 : answer.completion().completionTokens())
        .setTimeToFirstTokenMs(answer.completion() == null || answer.completion().firstTokenNanos() < 0 ? null
            : answer.completion().firstTokenNanos() / 1_000_000)
        .setTimeToFirstChunkMs(answer.firstChunkNanos() < 0 ? null : answer.firstChunkNanos() / 1_000_000)
        .setTotalMs(total / 1_000_000)
        .setChunkCount(answer.chunks())
        .setOutcome(answer.outcome())
        .setFallbackReason(reason)
        .setCreatedAt(Instant.now())
        .setUserTranscript(transcript)
        .build();
    if (answeredElsewhere(session, turnId)) {
      awaitAcks(sent);
      metrics.duplicate(agentId);
      log.info("{}: turn {} of session {} was finished by the instance that held it before; not answered twice",
          agentId, turnId, session);
      return;
    }
    sent.add(send(session, new AgentReply(turn)));
    if (found != null && answer.outcome() != TurnOutcome.FALLBACK) {
      sent.addAll(escalate(found.config(), turn, fields));
    }
    awaitAcks(sent);
    metrics.turn(agentId, answer, total);
    remember(session, answer.outcome(), fields);
  }

  /**
   * An escalation field (escalation_needed, or one the config declares) that is true for the first time in the
   * session goes out on {@code parley.escalations.v1}: a human or another system takes the call from there.
   * Once per session and field (a session that already escalated is not escalated again every turn).
   */
  private List<Future<RecordMetadata>> escalate(AgentConfig config, AgentTurn turn, ObjectNode fields) {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    if (fields == null || config.schemaConfig() == null || config.schemaConfig().fields() == null) {
      return sent;
    }
    for (AgentConfig.SchemaField field : config.schemaConfig().fields()) {
      if (field.isEscalation() && fields.path(field.name()).asBoolean(false)
          && escalated.add(TurnId.prefixOf(turn.getSessionId()) + field.name())) {
        dev.parley.events.Escalation escalation = dev.parley.events.Escalation.newBuilder()
            .setSessionId(turn.getSessionId()).setTurnId(turn.getTurnId()).setAgentId(agentId)
            .setConfigVersion(turn.getConfigVersion()).setField(field.name())
            .setUserTranscript(turn.getUserTranscript()).setSystemResponse(turn.getSystemResponse())
            .setStructuredFields(fields.toString()).setCreatedAt(Instant.now()).build();
        log.info("{}: session {} escalated by {} in turn {}", agentId, turn.getSessionId(), field.name(),
            turn.getTurnId());
        sent.add(producer.send(new ProducerRecord<>(Topics.ESCALATIONS.name(),
            turn.getSessionId().getBytes(java.nio.charset.StandardCharsets.UTF_8),
            AvroSerde.of(dev.parley.events.Escalation.class).encode(escalation))));
      }
    }
    return sent;
  }

  private void remember(String session, TurnOutcome outcome, ObjectNode fields) {
    if (outcome != TurnOutcome.FALLBACK && fields != null && fields.size() > 0) {
      lastFields.put(session, fields);
    }
  }

  private static ObjectNode parseFields(String json) {
    try {
      return json == null || json.isBlank() ? null
          : (ObjectNode) dev.parley.agentconfig.AgentConfigJson.MAPPER.readTree(json);
    } catch (java.io.IOException | ClassCastException e) {
      return null;
    }
  }

  /**
   * The session ended: the agent's own LLM writes a short summary of the conversation, published with
   * the final structured fields on {@code parley.session-summaries.v1} (sessions without a caller turn
   * get none). The session's history is then dropped.
   */
  private void summarize(String session, RoutedEvent event, SessionEnded ended) {
    SessionHistory history = histories.remove(session);
    ObjectNode fields = lastFields.remove(session);
    escalated.removeIf(key -> key.startsWith(TurnId.prefixOf(session)));
    List<SessionHistory.Exchange> exchanges = history == null ? List.of() : history.exchanges();
    int userTurns = (int) exchanges.stream().filter(e -> !e.user().isBlank()).count();
    if (userTurns == 0 || !answered.firstTime(TurnId.summary(session).toString())) {
      return;
    }
    AgentConfigCache.Found found = findConfig(event);
    String summary;
    TurnOutcome outcome;
    if (found == null) {
      summary = "No summary: agent " + agentId + " has no config version " + event.getConfigVersion() + ".";
      outcome = TurnOutcome.FALLBACK;
    } else {
      TurnResponder.Answer answer = responder.summarize(found.config(), exchanges, SUMMARY_REQUEST);
      outcome = answer.outcome();
      summary = outcome == TurnOutcome.FALLBACK ? "No summary: " + answer.fallbackReason() : answer.spoken();
    }
    SessionSummary record = SessionSummary.newBuilder().setSessionId(session).setAgentId(agentId)
        .setConfigVersion(event.getConfigVersion()).setSummary(summary)
        .setFinalFields(fields == null ? "{}" : fields.toString()).setUserTurns(userTurns)
        .setEndReason(ended.getReason()).setOutcome(outcome).setCreatedAt(Instant.now()).build();
    awaitAcks(List.of(producer.send(new ProducerRecord<>(Topics.SESSION_SUMMARIES.name(),
        session.getBytes(java.nio.charset.StandardCharsets.UTF_8), AvroSerde.of(SessionSummary.class).encode(record)))));
  }

  // "what was agreed or done" made the local model invent outcomes ("resolved by cancelling and resubscribing"
  // after one caller turn); a summary for the record must hold only what was said
  static final String SUMMARY_REQUEST = "The call has ended. In one or two sentences, summarize it for the record"
      + " using only what was said above: what the caller wanted, and what you did or asked. If it was not"
      + " resolved, say it is still open. Add nothing that was not said.";


  private AgentReplyChunk chunk(String session, String turnId, RoutedEvent event, int index, String text) {
    return AgentReplyChunk.newBuilder().setSessionId(session).setTurnId(turnId).setAgentId(agentId)
        .setConfigVersion(event.getConfigVersion()).setChunkIndex(index).setText(text).setCreatedAt(Instant.now())
        .build();
  }

  private Future<RecordMetadata> send(String session, AgentReply reply) {
    if (fenced.contains(Topics.partitionOf(session))) { // the partition's new owner answers this turn
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    }
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(Topics.AGENT_REPLIES.name(),
        session.getBytes(java.nio.charset.StandardCharsets.UTF_8), AvroSerde.of(AgentReply.class).encode(reply));
    record.headers().add(Topics.REPLY_INSTANCE_HEADER, instanceName);
    byte[] received = receivedAt.get(session);
    if (received != null) {
      record.headers().add(Topics.REPLY_RECEIVED_AT_HEADER, received);
    }
    return producer.send(record);
  }

  /** The record counts as done only once Kafka has every reply of it. */
  private void awaitAcks(List<Future<RecordMetadata>> sent) {
    for (Future<RecordMetadata> future : sent) {
      try {
        future.get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("reply not acknowledged by Kafka: " + e.getMessage(), e);
      }
    }
  }

  private void deadLetter(ConsumerRecord<String, byte[]> record, Exception error) {
    metrics.deadLetter(agentId);
    byte[] key = record.key() == null ? null : record.key().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try {
      producer.send(DeadLetters.of(record.topic(), record.partition(), record.offset(), record.timestamp(), key,
          record.value(), STAGE, error)).get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot dead-letter " + record.topic() + "@" + record.offset(), e);
    }
  }

  private SessionHistory history(String session) {
    return histories.computeIfAbsent(session, s -> new SessionHistory(config.historyExchanges(),
        config.historyChars()));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
  }
}
