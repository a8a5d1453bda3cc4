package dev.parley.processor;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.AgentConfigValidator;
import dev.parley.agentconfig.AgentConfigs;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentTurn;
import dev.parley.events.Escalation;
import dev.parley.events.Handoff;
import dev.parley.events.RoutedEvent;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionStarted;
import dev.parley.events.SessionSummary;
import dev.parley.events.ToolCall;
import dev.parley.events.ToolResult;
import dev.parley.events.TurnOutcome;
import dev.parley.events.UserSpeechStopped;
import dev.parley.events.UserTurn;
import dev.parley.llm.LlmProvider;
import dev.parley.llm.SessionHistory;
import dev.parley.llm.TurnResponder;
import dev.parley.schemas.Handoffs;
import dev.parley.schemas.TurnId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's conversations, without Kafka: a session's start is greeted, each caller turn answered (sentence by
 * sentence, then the final turn with its fields and any escalation), a pause's draft read ahead, and the end
 * summarized. What it says goes to {@link Replies}; the configs come pinned to the version each session was routed
 * with. Calls for one session come one at a time (the consumer runtime keeps each session's records in order).
 */
final class TurnAnswerer {
  private static final Logger log = LoggerFactory.getLogger(TurnAnswerer.class);
  /** The longest transcript sent to the model (about five minutes of speech); longer ones are cut and the cut noted. */
  static final int MAX_TRANSCRIPT_CHARS = 4000;
  /** How long a turn waits for the read of its draft that is still running. */
  static final Duration READ_AHEAD_WAIT = Duration.ofSeconds(3);
  /** How long a turn waits for the config version it was routed with to reach this processor's cache. */
  static final Duration VERSION_WAIT = Duration.ofSeconds(3);

  /** Where the answers go. */
  interface Replies {
    Future<RecordMetadata> reply(String session, AgentReply reply);

    Future<RecordMetadata> escalation(Escalation escalation);

    Future<RecordMetadata> summary(SessionSummary summary);

    /** Whether the instance that held the session before finished this turn meanwhile (then it is not sent again). */
    boolean answeredElsewhere(String session, String turnId);

    /** A tool the model asked for, for the tool runner. */
    Future<RecordMetadata> toolCall(ToolCall call);

    /** The caller is passed to another agent (the built-in handoff), for router-stream. */
    Future<RecordMetadata> handoff(Handoff handoff);

    /** Every agent's finished turns of {@code session} in the last {@code back}, oldest first: a hand-off's history. */
    List<AgentTurn> sessionTurns(String session, Duration back);

    /** Whether a processor serves {@code agentId} now (a hand-off to an agent nobody answers is not made). */
    default boolean served(String agentId) {
      return true;
    }
  }

  /** How far back a handed-off session's earlier turns are read. */
  static final Duration HANDOFF_HISTORY = Duration.ofHours(2);

  /** The tool runner's results, by call id. */
  interface ToolResultSource {
    /** The result already recorded for {@code callId} (a turn answered again after a crash), if any. */
    Optional<ToolResult> known(String callId, Duration wait);

    /** Waits at most {@code timeout} for the result of {@code callId}. */
    Optional<ToolResult> await(String callId, Duration timeout);

    /** Whether a tool runner is there to make a call (when it cannot be told, yes). */
    default boolean runnerAvailable() {
      return true;
    }
  }

  /** What the model is told when no tool runner is running: the call is not made (nor left for a later runner). */
  static final String NO_RUNNER = "error: UNAVAILABLE: no tool runner is running, so the tool could not be called";

  /** How much longer than the tool's own time (timeout × attempts) a turn waits for the tool runner's result. */
  static final Duration TOOL_RUNNER_MARGIN = Duration.ofSeconds(10);

  private final String agentId;
  private final AgentConfigs configs;
  private final TurnResponder responder;
  private final SessionMemory memory;
  private final ReadAheads readAheads;
  private final ProcessorMetrics metrics;
  private final Replies replies;
  private final ToolResultSource toolResults;

  TurnAnswerer(String agentId, AgentConfigs configs, TurnResponder responder, SessionMemory memory,
      ReadAheads readAheads, ProcessorMetrics metrics, Replies replies, ToolResultSource toolResults) {
    this.toolResults = toolResults;
    this.agentId = agentId;
    this.configs = configs;
    this.responder = responder;
    this.memory = memory;
    this.readAheads = readAheads;
    this.metrics = metrics;
    this.replies = replies;
  }

  /** One routed event of {@code session}. */
  void handle(String session, RoutedEvent event) {
    if (event.getEvent() instanceof UserTurn turn) {
      respond(session, event, turn.getTurnId(), turn.getTranscript());
    } else if (event.getEvent() instanceof SessionStarted) {
      greet(session, event);
    } else if (event.getEvent() instanceof SessionEnded ended) {
      readAheads.forget(session);
      summarize(session, event, ended);
    } else if (event.getEvent() instanceof UserSpeechStopped stopped && stopped.getDraftTranscript() != null) {
      readAheads.offer(session, () -> readAhead(session, event, stopped));
    }
  }

  private void greet(String session, RoutedEvent event) {
    java.util.Map<String, String> attributes = ((SessionStarted) event.getEvent()).getParticipantAttributes();
    if (attributes != null && attributes.get(Handoffs.FROM_ATTRIBUTE) != null
        && !attributes.getOrDefault(Handoffs.REQUEST_ATTRIBUTE, "").isBlank()) {
      pickUp(session, event, attributes);
      return;
    }
    String turnId = TurnId.greeting(session).toString();
    if (!memory.firstTime(turnId)) {
      metrics.duplicate(agentId);
      return;
    }
    readAheads.turnStarts(session, READ_AHEAD_WAIT); // no draft is read before the greeting is in the history
    try {
      AgentConfigCache.Found found = findConfig(event);
      String greeting = found == null ? null : found.config().promptConfig().greeting();
      if (greeting == null || greeting.isBlank()) {
        return;
      }
      long start = System.nanoTime();
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      sent.add(replies.reply(session, new AgentReply(TurnRecords.chunk(agentId, session, turnId, event, 0,
          greeting))));
      TurnResponder.Answer answer = new TurnResponder.Answer(greeting, AgentConfigJson.MAPPER.createObjectNode(),
          TurnOutcome.OK, null, null, 0, 1);
      finish(session, event, turnId, "", answer, sent, start, found);
      memory.history(session).add(new SessionHistory.Exchange(turnId, "", greeting));
      // while the greeting plays, the model reads the instructions and greeting into its prompt cache
      responder.warm(found.config(), memory.history(session).exchanges());
    } finally {
      readAheads.turnEnds(session);
    }
  }

  /**
   * Another agent passed the caller here: the conversation so far is read from the replies topic (every agent's turns
   * of the session), and this agent answers what the caller asked in the turn that passed them, as its first words.
   * That first answer's turn id is {@code <session>#handoff-<n>} for the hand-off decided in turn n.
   */
  private void pickUp(String session, RoutedEvent event, java.util.Map<String, String> attributes) {
    String from = attributes.get(Handoffs.FROM_ATTRIBUTE);
    String decidedIn = attributes.getOrDefault(Handoffs.TURN_ATTRIBUTE, "");
    TurnId decided;
    try {
      decided = TurnId.parse(decidedIn);
    } catch (IllegalArgumentException e) {
      decided = new TurnId(session, "unknown");
    }
    String turnId = Handoffs.pickUp(decided).toString();
    TurnId decidedTurn = decided;
    once(session, turnId, () -> {
      SessionHistory history = memory.history(session);
      long start = System.nanoTime();
      List<AgentTurn> earlier = List.of();
      try {
        earlier = replies.sessionTurns(session, HANDOFF_HISTORY);
      } catch (RuntimeException e) {
        log.warn("{}: session {}: the conversation before the hand-off could not be read ({}); answering without it",
            agentId, session, e.getMessage());
      }
      for (AgentTurn turn : earlier) {
        if (!turn.getTurnId().equals(decidedTurn.toString()) && !history.answered(turn.getTurnId())) {
          memory.restore(session, turn);
        }
      }
      log.info("{}: session {} handed over by {} in turn {}: {} earlier turns read in {} ms", agentId, session, from,
          decidedIn, earlier.size(), (System.nanoTime() - start) / 1_000_000);
      answer(session, event, turnId, attributes.get(Handoffs.REQUEST_ATTRIBUTE), history);
    });
  }

  /**
   * The caller paused: their words so far are read into the model's cache while ingress confirms the end of the turn,
   * so the turn, when it comes, starts sooner. Nothing is answered or recorded; a draft for a turn already answered
   * (it arrived late) or of a session without a config is ignored.
   */
  private void readAhead(String session, RoutedEvent event, UserSpeechStopped stopped) {
    Integer index = stopped.getTurnIndex();
    if (index == null || memory.history(session).answered(TurnId.line(session, index).toString())) {
      return;
    }
    AgentConfigCache.Found found = findConfig(event);
    if (found == null) {
      return;
    }
    String draft = stopped.getDraftTranscript();
    long start = System.nanoTime();
    boolean read = responder.readAhead(found.config(), memory.history(session).exchanges(),
        draft.length() > MAX_TRANSCRIPT_CHARS ? draft.substring(0, MAX_TRANSCRIPT_CHARS) : draft);
    log.info("{}: session {} turn {}: read ahead {} characters in {} ms{}", agentId, session, index, draft.length(),
        (System.nanoTime() - start) / 1_000_000, read ? "" : " (the provider could not)");
  }

  private void respond(String session, RoutedEvent event, String turnId, String transcript) {
    once(session, turnId, () -> answer(session, event, turnId, transcript, memory.history(session)));
  }

  /** Answers a turn the first time it is seen (a repeat counts as a duplicate), no draft read ahead meanwhile. */
  private void once(String session, String turnId, Runnable answering) {
    if (memory.history(session).answered(turnId) || !memory.firstTime(turnId)) {
      metrics.duplicate(agentId);
      return;
    }
    readAheads.turnStarts(session, READ_AHEAD_WAIT);
    try {
      answering.run();
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
    TurnResponder.ChunkSink sink = (i, text) -> sent.add(replies.reply(session, new AgentReply(
        TurnRecords.chunk(agentId, session, turnId, event, i, text))));
    AgentConfigCache.Found found = findConfig(event);
    TurnResponder.Answer answer;
    String fixed = lost ? TurnResponder.LOST_WORDS : found == null ? TurnResponder.APOLOGY : null;
    if (fixed != null) { // said without the model: nothing to answer, or nothing to answer with
      sink.chunk(0, fixed);
      answer = new TurnResponder.Answer(fixed, AgentConfigJson.MAPPER.createObjectNode(), TurnOutcome.FALLBACK,
          lost ? "the caller's words were lost with their listener (ingress-worker crashed)"
              : "no config for agent " + agentId, null, -1, 1);
    } else {
      answer = answerWithTools(session, turnId, found, history, transcript, sink);
    }
    if (cut != null) {
      answer = answer.withNote(cut);
    }
    String passTo = fixed == null ? handoffTarget(found.config(), answer) : null;
    String line = null; // said after the reply: passing the caller on, or why they stay
    if (passTo != null && !replies.served(passTo)) { // nobody would pick the caller up: they stay, and are told
      log.warn("{}: session {} turn {}: not passed to {}: no llm-processor serves it (consumer group {} is empty)",
          agentId, session, turnId, passTo, AgentWorker.groupOf(passTo));
      line = UNAVAILABLE_LINE.replace("{agent}", spokenName(passTo));
      answer = answer.withNote("hand-off to " + passTo + " not made: no llm-processor serves it");
      passTo = null;
    } else if (passTo != null) {
      line = passingLine(found.config(), passTo, answer.spoken());
    }
    if (line != null) {
      sink.chunk(answer.chunks(), line);
      answer = answer.withLineAdded(line);
    }
    boolean published = finish(session, event, turnId, transcript, answer, sent, start, found);
    history.add(new SessionHistory.Exchange(turnId, transcript, answer.spoken()));
    if (passTo != null && published) {
      handOff(session, turnId, transcript, answer, found.config(), passTo);
    }
  }

  /** The agent this answer passes the caller to (its {@code handoff_to} names one of the config's targets), or null. */
  private String handoffTarget(AgentConfig config, TurnResponder.Answer answer) {
    if (answer.outcome() == TurnOutcome.FALLBACK || answer.fields() == null) {
      return null;
    }
    String to = answer.fields().path(AgentConfigValidator.HANDOFF_FIELD).asText("");
    return config.handoffTargets().contains(to) ? to : null;
  }

  /**
   * What the caller hears before the next agent picks up: the handoff tool's {@code waiting_line} ({@code {agent}} is
   * the agent's name) or a default; nothing when the reply already says it is passing them on.
   */
  static String passingLine(AgentConfig config, String to, String spoken) {
    String name = spokenName(to);
    String said = spoken == null ? "" : spoken.toLowerCase(java.util.Locale.ROOT);
    if (said.contains(name.toLowerCase(java.util.Locale.ROOT)) && PASSING_WORDS.matcher(said).find()) {
      return null;
    }
    String line = config.tool(AgentConfigValidator.HANDOFF).map(AgentConfig.ToolConfig::waitingLine)
        .filter(l -> l != null && !l.isBlank()).orElse(DEFAULT_PASSING_LINE);
    return line.replace("{agent}", name);
  }

  static final String DEFAULT_PASSING_LINE = "One moment, I'm passing you to {agent}.";
  /** Words of a reply that already says it is passing the caller on. */
  private static final java.util.regex.Pattern PASSING_WORDS =
      java.util.regex.Pattern.compile("\\b(transfer|pass|connect|put you through)");
  /** Said instead when no processor serves the agent the answer would pass the caller to. */
  static final String UNAVAILABLE_LINE = "I'm sorry, nobody from {agent} can take your call right now, so I'll stay"
      + " with you.";

  /** An agent id as said aloud: words of the id without "agent" and a version ({@code sales-agent-v1}: "sales"). */
  static String spokenName(String agentId) {
    List<String> words = new ArrayList<>();
    for (String word : agentId.split("[-_]+")) {
      if (!word.isEmpty() && !word.equals("agent") && !word.matches("v\\d+")) {
        words.add(word);
      }
    }
    return words.isEmpty() ? agentId : String.join(" ", words);
  }

  /**
   * Records the hand-off for router-stream, which sends the session's next events to {@code to}; this agent forgets
   * the session (it hears nothing more of it).
   */
  private void handOff(String session, String turnId, String transcript, TurnResponder.Answer answer,
      AgentConfig config, String to) {
    awaitAcks(List.of(replies.handoff(Handoff.newBuilder().setSessionId(session).setTurnId(turnId)
        .setFromAgentId(agentId).setFromConfigVersion(config.version()).setToAgentId(to)
        .setUserTranscript(transcript).setSystemResponse(answer.spoken()).setRequestedAt(java.time.Instant.now())
        .build())));
    log.info("{}: session {} passed to {} in turn {}", agentId, session, to, turnId);
    readAheads.forget(session);
    memory.end(session);
  }

  /**
   * Answers the turn; when the model asks for a tool, the tool's waiting line is said, the call goes to the tool runner
   * on {@code parley.tool-calls.v1} (call id {@code <turn id>#<n>}, the tool's idempotency key), and the turn goes on
   * with the result from {@code parley.tool-results.v1}. A turn answered again after a crash reuses a result already
   * recorded for its call id instead of calling again. A tool that does not answer in time is told to the model as a
   * timeout, so the caller still hears an answer.
   */
  private TurnResponder.Answer answerWithTools(String session, String turnId, AgentConfigCache.Found found,
      SessionHistory history, String transcript, TurnResponder.ChunkSink sink) {
    AgentConfig config = found.config();
    return responder.answerUsingTools(config, history.exchanges(), transcript, sink, (call, number) -> runTool(session,
        turnId, turnId + "#" + number, config, call, config.tool(call.tool()).orElse(null)));
  }

  /** One tool call through the tool runner; what the model is told of its result. */
  private String runTool(String session, String turnId, String callId, AgentConfig config,
      LlmProvider.ToolRequest call, AgentConfig.ToolConfig tool) {
    long start = System.nanoTime();
    Optional<ToolResult> result = toolResults.known(callId, Duration.ofSeconds(5));
    if (result.isPresent()) {
      log.info("{}: session {} turn {}: tool {} had already answered call {} (before a restart): not called again",
          agentId, session, turnId, call.tool(), callId);
    } else if (!toolResults.runnerAvailable()) {
      log.warn("{}: session {} turn {}: tool {} not called: no tool runner is running (consumer group {} is empty);"
          + " start tool-runner", agentId, session, turnId, call.tool(), dev.parley.schemas.Topics.TOOL_RUNNER_GROUP);
      return NO_RUNNER;
    } else {
      awaitAcks(List.of(replies.toolCall(ToolCall.newBuilder().setSessionId(session).setTurnId(turnId)
          .setCallId(callId).setAgentId(agentId).setConfigVersion(config.version()).setTool(call.tool())
          .setArguments(call.arguments().toString()).setRequestedAt(java.time.Instant.now()).build())));
      Duration wait = tool == null || tool.http() == null ? TOOL_RUNNER_MARGIN
          : Duration.ofMillis((long) tool.http().timeoutOrDefault() * (tool.http().retriesOrDefault() + 1))
              .plus(TOOL_RUNNER_MARGIN);
      result = toolResults.await(callId, wait);
      if (result.isEmpty()) {
        log.warn("{}: session {} turn {}: no result for tool call {} ({}) within {} s: told to the model as a"
            + " timeout", agentId, session, turnId, callId, call.tool(), wait.toSeconds());
        return "error: TIMEOUT: the tool did not answer in time";
      }
    }
    ToolResult done = result.get();
    log.info("{}: session {} turn {}: tool {} {} in {} ms ({} attempts)", agentId, session, turnId, call.tool(),
        done.getOutcome(), (System.nanoTime() - start) / 1_000_000, done.getAttempts());
    return TurnResponder.toldToModel(done);
  }

  /** The config version the session was routed with (waited for briefly when not read yet), or null. */
  private AgentConfigCache.Found findConfig(RoutedEvent event) {
    return configs.findWaiting(agentId, event.getConfigVersion(), VERSION_WAIT).orElse(null);
  }


  /**
   * Publishes the final turn and any escalation it raises; {@code found} is the config used (null: none found). False
   * when the instance that held the session before had published it.
   */
  private boolean finish(String session, RoutedEvent event, String turnId, String transcript,
      TurnResponder.Answer answer, List<Future<RecordMetadata>> sent, long start, AgentConfigCache.Found found) {
    long total = System.nanoTime() - start;
    AgentTurn turn = TurnRecords.turn(agentId, session, turnId, event, transcript, answer, total, found);
    if (replies.answeredElsewhere(session, turnId)) {
      awaitAcks(sent);
      metrics.duplicate(agentId);
      log.info("{}: turn {} of session {} was finished by the instance that held it before; not answered twice",
          agentId, turnId, session);
      return false;
    }
    sent.add(replies.reply(session, new AgentReply(turn)));
    if (found != null && answer.outcome() != TurnOutcome.FALLBACK) {
      sent.addAll(escalate(found.config(), turn, answer.fields()));
    }
    awaitAcks(sent);
    metrics.turn(agentId, answer, total);
    memory.remember(session, answer.outcome(), answer.fields());
    return true;
  }

  /**
   * An escalation field (escalation_needed, or one the config declares) that is true for the first time in the
   * session goes out on {@code parley.escalations.v1}: a human or another system takes the call from there. Once per
   * session and field.
   */
  private List<Future<RecordMetadata>> escalate(AgentConfig config, AgentTurn turn, ObjectNode fields) {
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    if (fields == null) {
      return sent;
    }
    for (String field : config.escalationFields()) {
      if (fields.path(field).asBoolean(false) && memory.firstEscalation(turn.getSessionId(), field)) {
        log.info("{}: session {} escalated by {} in turn {}", agentId, turn.getSessionId(), field, turn.getTurnId());
        sent.add(replies.escalation(TurnRecords.escalation(turn, field, fields)));
      }
    }
    return sent;
  }

  /**
   * The session ended: the agent's own LLM writes a short summary of the conversation, published with the final
   * structured fields on {@code parley.session-summaries.v1} (sessions without a caller turn get none).
   */
  private void summarize(String session, RoutedEvent event, SessionEnded ended) {
    SessionMemory.Ended memoryOf = memory.end(session);
    if (memoryOf.userTurns() == 0 || !memory.firstTime(TurnId.summary(session).toString())) {
      return;
    }
    AgentConfigCache.Found found = findConfig(event);
    String summary;
    TurnOutcome outcome;
    if (found == null) {
      summary = "No summary: agent " + agentId + " has no config version " + event.getConfigVersion() + ".";
      outcome = TurnOutcome.FALLBACK;
    } else {
      TurnResponder.Answer answer = responder.summarize(found.config(), memoryOf.exchanges(),
          TurnResponder.SUMMARY_REQUEST);
      outcome = answer.outcome();
      summary = outcome == TurnOutcome.FALLBACK ? "No summary: " + answer.fallbackReason() : answer.spoken();
    }
    awaitAcks(List.of(replies.summary(TurnRecords.summary(agentId, session, event, ended, summary, memoryOf,
        outcome))));
  }

  /** The record counts as done only once Kafka has every reply of it. */
  private static void awaitAcks(List<Future<RecordMetadata>> sent) {
    for (Future<RecordMetadata> future : sent) {
      try {
        future.get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException("reply not acknowledged by Kafka: " + e.getMessage(), e);
      }
    }
  }
}
