package dev.parley.llm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigValidator;
import dev.parley.agentconfig.StructuredOutputSchema;
import dev.parley.events.TurnOutcome;
import dev.parley.llm.LlmProvider.Completion;
import dev.parley.llm.LlmProvider.LlmException;
import dev.parley.llm.LlmProvider.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Answers one user turn: streams the spoken sentences of {@code system_response} as they arrive,
 * validates the whole reply against the agent's schema, asks once for a repair when it does not
 * match, and falls back to a safe reply (marked as such) when the repair fails or the provider is
 * down. Only {@code system_response} is ever spoken; structured fields never reach the voice.
 */
public final class TurnResponder {
  /** What a JSON-answering provider is told after the agent's instructions (the local provider answers in two steps instead). */
  static final String JSON_NOTE = "\n\nAnswer with one JSON object that matches the given schema. Put what you say to the"
      + " caller in \"system_response\" first: short spoken sentences, no markup. Fill the other fields from the"
      + " conversation so far.";
  public static final String APOLOGY = "I'm sorry, I'm having trouble answering right now. Could you say that again?";
  /** What the agent says to a turn whose words were lost with a crashed listener ({@code audio_lost}). */
  public static final String LOST_WORDS = "Sorry, I lost you for a moment there. Could you say that again?";
  private final LlmProvider provider;
  private final CircuitBreaker breaker;
  private final Map<String, ReplyValidator> validators = new ConcurrentHashMap<>();

  public TurnResponder(LlmProvider provider, CircuitBreaker breaker) {
    this.provider = provider;
    this.breaker = breaker;
  }

  /** Receives each spoken sentence, in order, as soon as it is complete. */
  public interface ChunkSink {
    void chunk(int index, String text);
  }

  /**
   * The finished turn ({@code completion} is null when the provider was not successfully called), or with
   * {@code toolCall} a turn waiting for a tool: {@code spoken} is then what was said before asking, and the turn goes
   * on with {@link #answer(AgentConfig, List, String, List, ChunkSink)} once the tool has answered.
   */
  public record Answer(String spoken, ObjectNode fields, TurnOutcome outcome, String fallbackReason, Completion completion,
      long firstChunkNanos, int chunks, LlmProvider.ToolRequest toolCall) {
    public Answer(String spoken, ObjectNode fields, TurnOutcome outcome, String fallbackReason, Completion completion,
        long firstChunkNanos, int chunks) {
      this(spoken, fields, outcome, fallbackReason, completion, firstChunkNanos, chunks, null);
    }

    /** The same answer with one more sentence said after it (its own chunk). */
    public Answer withLineAdded(String line) {
      return new Answer(spoken.isBlank() ? line : spoken + " " + line, fields, outcome, fallbackReason, completion,
          firstChunkNanos, chunks + 1, toolCall);
    }

    /** The same answer with a note on what was done to its input, kept with any fallback reason. */
    public Answer withNote(String note) {
      return new Answer(spoken, fields, outcome, fallbackReason == null ? note : note + "; " + fallbackReason,
          completion, firstChunkNanos, chunks, toolCall);
    }
  }

  /** A tool used earlier in the turn: what the agent had said before asking, the call, and what the tool answered. */
  public record ToolStep(String spokenBefore, LlmProvider.ToolRequest call, String result) {}

  /** How many tools one caller turn may use; after that the model must answer with what it has. */
  public static final int MAX_TOOL_CALLS_PER_TURN = 1;

  public Answer answer(AgentConfig config, List<SessionHistory.Exchange> history, String userText, ChunkSink sink) {
    return answer(config, history, userText, List.of(), sink);
  }

  /** What the model is told of a tool's result: the tool's answer, or {@code error: <outcome>: <why>}. */
  public static String toldToModel(dev.parley.events.ToolResult result) {
    return result.getOutcome() == dev.parley.events.ToolOutcome.OK ? result.getResult()
        : "error: " + result.getOutcome() + ": " + result.getResult();
  }

  /** Runs a tool the model asked for (the turn's {@code number}th, from 1); returns what the model is told. */
  public interface ToolExecutor {
    String run(LlmProvider.ToolRequest call, int number);
  }

  /**
   * Answers a caller turn to the end: each tool the model asks for is said to be looked up (the tool's waiting line,
   * as the next chunk), run by {@code tools}, and the turn goes on with its result. The answer holds everything
   * spoken in the turn, the final fields, and the number of chunks across the steps.
   */
  public Answer answerUsingTools(AgentConfig config, List<SessionHistory.Exchange> history, String userText,
      ChunkSink sink, ToolExecutor tools) {
    int[] chunks = {0};
    ChunkSink counted = (i, text) -> sink.chunk(chunks[0]++, text);
    Answer first = answer(config, history, userText, List.of(), counted);
    Answer answer = first;
    List<ToolStep> steps = new ArrayList<>();
    List<String> said = new ArrayList<>();
    while (answer.toolCall() != null) {
      LlmProvider.ToolRequest call = answer.toolCall();
      List<String> before = new ArrayList<>();
      if (!answer.spoken().isBlank()) {
        before.add(answer.spoken());
      }
      String waiting = config.tool(call.tool()).map(AgentConfig.ToolConfig::waitingLine).orElse(null);
      if (waiting != null && !waiting.isBlank()) {
        counted.chunk(0, waiting.strip());
        before.add(waiting.strip());
      }
      said.addAll(before);
      String result = tools.run(call, steps.size() + 1);
      steps.add(new ToolStep(String.join(" ", before), call, result));
      answer = answer(config, history, userText, steps, counted);
    }
    if (steps.isEmpty()) {
      return answer;
    }
    said.add(answer.spoken());
    return new Answer(String.join(" ", said.stream().filter(t -> !t.isBlank()).toList()), answer.fields(),
        answer.outcome(), answer.fallbackReason(), answer.completion(),
        first.firstChunkNanos() >= 0 ? first.firstChunkNanos() : answer.firstChunkNanos(), chunks[0]);
  }

  /**
   * Answers a caller turn, or goes on with it after its tools answered ({@code steps}, oldest first). The config's
   * tools are offered while the turn has used fewer than {@link #MAX_TOOL_CALLS_PER_TURN} ({@link #toolsOffered});
   * when the model asks for one, the answer carries the call and what was said before it, unvalidated (no fields
   * yet).
   */
  public Answer answer(AgentConfig config, List<SessionHistory.Exchange> history, String userText,
      List<ToolStep> steps, ChunkSink sink) {
    long start = System.nanoTime();
    Spoken spoken = new Spoken(sink, start);
    ObjectNode schema = StructuredOutputSchema.of(config);
    ReplyValidator validator = validators.computeIfAbsent(config.agentId() + "@" + config.version(),
        k -> new ReplyValidator(schema));
    List<Message> messages = messages(config, history, userText);
    for (ToolStep step : steps) {
      if (!step.spokenBefore().isBlank()) {
        messages.add(new Message("assistant", step.spokenBefore()));
      }
      messages.add(new Message("tool_call", step.call().json()));
      messages.add(new Message("tool", step.result()));
    }
    if (!breaker.allowed()) {
      return spoken.fallback(null, "LLM circuit open after repeated failures");
    }
    Completion first;
    try {
      SentenceStream stream = new SentenceStream(spoken::say, true);
      first = provider.complete(request(config, messages, schema, false), stream::accept);
      if (!stream.finished()) {
        stream.flush();
      }
      breaker.succeeded();
    } catch (LlmException e) {
      breaker.failed();
      return spoken.fallback(null, e.getMessage());
    }
    if (first.toolCall() != null) {
      return new Answer(spoken.text(), dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode(), TurnOutcome.OK,
          null, first, spoken.firstChunkNanos, spoken.count(), first.toolCall());
    }
    ReplyValidator.Result result = validator.check(first.text());
    TurnOutcome outcome = TurnOutcome.OK;
    Completion used = first;
    if (!result.valid()) {
      List<Message> repair = new ArrayList<>(messages);
      repair.add(new Message("assistant", first.text()));
      repair.add(new Message("user", "Your reply did not match the required JSON schema: "
          + String.join("; ", result.problems()) + ". Reply again with only the corrected JSON object."));
      try {
        used = provider.complete(request(config, repair, schema, false), delta -> { });
        breaker.succeeded();
      } catch (LlmException e) {
        breaker.failed();
        return spoken.fallback(first, "schema: " + String.join("; ", result.problems()) + "; repair failed: "
            + e.getMessage());
      }
      ReplyValidator.Result repaired = validator.check(used.text());
      if (!repaired.valid()) {
        return spoken.fallback(used, "schema after repair: " + String.join("; ", repaired.problems()));
      }
      result = repaired;
      outcome = TurnOutcome.REPAIRED;
    }
    ObjectNode fields = result.reply().deepCopy();
    String text = fields.remove(AgentConfigValidator.SPOKEN_FIELD).asText("");
    if (spoken.count() == 0) {
      new SentenceStream(spoken::say).accept("{\"system_response\":" + quote(text) + "}");
    }
    if (spoken.count() == 0) {
      return spoken.fallback(used, "the reply had an empty system_response");
    }
    return new Answer(spoken.text(), fields, outcome, null, used, spoken.firstChunkNanos, spoken.count());
  }

  /**
   * What the agent is asked for at the end of a call: a summary for the record. Measured on the offline model over six
   * finished calls of the four seed agents (one run each): asked for "what you did or asked", it wrote in the second
   * person and turned suggestions into deeds ("You helped them by resetting their login" after "can you try resetting
   * it?"), 4 of 6; in the third person, starting with "The caller", with suggestions kept as suggestions, 6 of 6 read
   * as a record ("The agent suggested reinstalling the app and asked if it still crashes"). Asking for "every request,
   * in order" brought first-person and invented details back. ("What was agreed or done" made it invent outcomes.)
   */
  public static final String SUMMARY_REQUEST = "The call has ended. Write one or two sentences for the record, in the"
      + " third person, starting with \"The caller\": what the caller wanted, and what the agent said or asked. The"
      + " agent only suggested what it suggested: do not say it was done. If the caller's problem was not solved, end"
      + " with \"Still open.\" Add nothing that was not said.";

  /**
   * The agent's summary of a finished conversation: the same prompt as its turns (so a provider with a
   * prompt cache reads only the request), with {@code request} as the last message, generated in the
   * background (nobody is waiting to hear it; live callers go first). Only the spoken text is used: a
   * provider may leave the structured fields out. Falls back with the reason when there is no text.
   */
  public Answer summarize(AgentConfig config, List<SessionHistory.Exchange> history, String request) {
    long start = System.nanoTime();
    Spoken spoken = new Spoken((index, text) -> { }, start);
    if (!breaker.allowed()) {
      return spoken.fallback(null, "LLM circuit open after repeated failures");
    }
    Completion completion;
    try {
      completion = provider.complete(request(config, messages(config, history, request),
          StructuredOutputSchema.of(config), true), delta -> { });
      breaker.succeeded();
    } catch (LlmException e) {
      breaker.failed();
      return spoken.fallback(null, e.getMessage());
    }
    String text;
    try {
      text = dev.parley.agentconfig.AgentConfigJson.MAPPER.readTree(completion.text())
          .path(AgentConfigValidator.SPOKEN_FIELD).asText("").strip();
    } catch (java.io.IOException e) {
      text = "";
    }
    if (text.isEmpty()) {
      return new Answer("", dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode(), TurnOutcome.FALLBACK,
          "the summary had no text", completion, -1, 0);
    }
    spoken.say(text);
    return new Answer(text, dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode(), TurnOutcome.OK, null,
        completion, spoken.firstChunkNanos, 1);
  }

  /**
   * Lets the provider prepare for the session's next turn (the local model reads the instructions and
   * the conversation so far into its cache while the agent speaks). Best effort: false if it failed.
   */
  public boolean warm(AgentConfig config, List<SessionHistory.Exchange> history) {
    try {
      warmOrFail(config, history);
      return true;
    } catch (RuntimeException e) {
      return false; // the turn itself will report a provider that does not work
    }
  }

  /** Like {@link #warm}, but a provider that could not read the conversation says why. */
  public void warmOrFail(AgentConfig config, List<SessionHistory.Exchange> history) {
    provider.warm(request(config, messages(config, history, null), StructuredOutputSchema.of(config),
        true));
  }

  /**
   * Lets the provider read a caller turn that may not be over yet ({@code draft}: the words so far), so that
   * the turn, when it comes with the same words, starts from the provider's cache. Nothing is generated or
   * recorded. Best effort: false if it failed.
   */
  public boolean readAhead(AgentConfig config, List<SessionHistory.Exchange> history, String draft) {
    try {
      provider.warm(request(config, messages(config, history, draft), StructuredOutputSchema.of(config), false));
      return true;
    } catch (RuntimeException e) {
      return false; // the turn itself will report a provider that does not work
    }
  }

  /** Every request carries the config's HTTP tools; whether they are offered now is {@link #toolsOffered}. */
  private static LlmProvider.Request request(AgentConfig config, List<Message> messages, ObjectNode schema,
      boolean background) {
    return new LlmProvider.Request(config.llmConfig().provider(), config.llmConfig().baseUrl(),
        config.llmConfig().model(), messages, schema, config.schemaConfig().schemaId(),
        config.llmConfig().temperature(), config.llmConfig().maxTokens(), background, config.httpTools());
  }

  /**
   * Whether the model may ask for a tool in answer to {@code request}: it has tools, a caller is waiting, the last
   * caller turn is being answered and has used fewer than {@link #MAX_TOOL_CALLS_PER_TURN} tools.
   */
  public static boolean toolsOffered(LlmProvider.Request request) {
    if (request.tools().isEmpty() || request.background()) {
      return false;
    }
    List<Message> messages = request.messages();
    int used = 0;
    for (int i = messages.size() - 1; i >= 0; i--) {
      String role = messages.get(i).role();
      if (role.equals("user")) {
        return used < MAX_TOOL_CALLS_PER_TURN;
      }
      if (role.equals("tool")) {
        used++;
      }
    }
    return false; // no caller turn to answer (a warm-up)
  }

  static List<Message> messages(AgentConfig config, List<SessionHistory.Exchange> history, String userText) {
    List<Message> messages = new ArrayList<>();
    messages.add(new Message("system", config.promptConfig().instructions() + JSON_NOTE));
    for (SessionHistory.Exchange exchange : history) {
      if (!exchange.user().isBlank()) { // the greeting has no user turn before it
        messages.add(new Message("user", exchange.user()));
      }
      messages.add(new Message("assistant", exchange.agent()));
    }
    if (userText != null) {
      messages.add(new Message("user", userText));
    }
    return messages;
  }

  private static String quote(String text) {
    return dev.parley.agentconfig.AgentConfigJson.MAPPER.getNodeFactory().textNode(text).toString();
  }

  /** What has been spoken of this turn so far. */
  private static final class Spoken {
    private final ChunkSink sink;
    private final long start;
    private final List<String> sentences = new ArrayList<>();
    private long firstChunkNanos = -1;

    Spoken(ChunkSink sink, long start) {
      this.sink = sink;
      this.start = start;
    }

    void say(String sentence) {
      if (firstChunkNanos < 0) {
        firstChunkNanos = System.nanoTime() - start;
      }
      sink.chunk(sentences.size(), sentence);
      sentences.add(sentence);
    }

    int count() {
      return sentences.size();
    }

    String text() {
      return String.join(" ", sentences);
    }

    /** Keeps what was already spoken; if nothing was, apologises. Structured fields stay empty. */
    Answer fallback(Completion completion, String reason) {
      if (sentences.isEmpty()) {
        say(APOLOGY);
      }
      return new Answer(text(), dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode(), TurnOutcome.FALLBACK,
          reason, completion, firstChunkNanos, sentences.size());
    }
  }

}
