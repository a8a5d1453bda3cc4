package dev.parley.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigValidator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The offline provider: an instruction-tuned GGUF model (Qwen2.5-Coder-1.5B-Instruct by default) served
 * by a llama.cpp {@code llama-server} child built for this CPU. No key, no network.
 *
 * <p>A turn is answered in two steps over one conversation prompt in ChatML, which the server keeps in
 * its cache between turns, so a turn reads only its new tokens:
 * <ol>
 *   <li><b>the spoken reply</b>, generated as plain text (no JSON wrapper to generate before the first
 *       word) and streamed as it comes;</li>
 *   <li><b>the structured fields</b>, generated right after it as JSON constrained by the fields' schema,
 *       reusing the cache of the reply.</li>
 * </ol>
 * The caller of {@link #complete} sees one JSON object, {@code system_response} first, as from any other
 * provider. Spoken replies take precedence over fields: a session's field generation waits (briefly)
 * while another session is generating what it will say. Callers waiting for their first words are served one at a
 * time, first come first served (a burst of turns read together would make every caller wait as long as the last).
 */
public final class LocalLlamaProvider implements LlmProvider, AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LocalLlamaProvider.class);
  /** A spoken reply whose first word took longer than this is logged with what the model had to read. */
  static final long SLOW_FIRST_TOKEN_MS = 2_000;
  /**
   * The spoken reply: at most two sentences of plain words on one line, no markup (a voice agent's turn is
   * short; a small model otherwise lists every step at once). A sentence ends at . ! or ?.
   */
  static final String SPOKEN_GRAMMAR = """
      root ::= sentence (" " sentence)?
      sentence ::= [A-Za-z0-9"'(] [^\\n*#<>{}|`_~\\[\\]\\\\.!?]* [.!?]+
      """;
  /**
   * The first sentence of a live reply: {@link #SPOKEN_GRAMMAR}'s sentence ending at its first stop, so that the
   * grammar is complete there and the model must end (with {@code [.!?]+} it would go on with stops instead of the
   * next sentence it is not allowed to start).
   */
  static final String FIRST_SENTENCE_GRAMMAR = """
      root ::= [A-Za-z0-9"'(] [^\\n*#<>{}|`_~\\[\\]\\\\.!?]* [.!?]
      """;
  /** What may follow it: nothing, or one more sentence. */
  static final String REST_GRAMMAR = SPOKEN_GRAMMAR.replace("root ::= sentence (\" \" sentence)?",
      "root ::= (\" \" sentence)?");
  /** How long the rest of a reply waits for other sessions' first sentences (its own first one is being spoken). */
  static final Duration REST_YIELD = Duration.ofMillis(2_500);
  static final int SPOKEN_MAX_TOKENS = 90;
  static final int FIELDS_MAX_TOKENS = 200;
  static final int SEED = 42;
  /** How long a session's fields wait for other sessions' spoken replies before going ahead anyway. */
  static final Duration FIELDS_YIELD = Duration.ofSeconds(4);
  /**
   * What the fields step is asked, after the spoken reply. Quoting the caller's last words in it points the small
   * model at what the fields must judge now instead of at its own reply: over the 32 shipped conversations, field
   * accuracy 80.9 % against 76.3 % with the same request without the quote (one run each, same model and hour).
   */
  static String fieldsCue(String lastCallerWords) {
    String quoted = lastCallerWords == null || lastCallerWords.isBlank() ? ""
        : " The caller's last words were: \"" + lastCallerWords.strip() + "\".";
    return "Record the call as JSON, as it stands now." + quoted + " Judge each field from what the caller has said,"
        + " and never invent anything the caller did not say.";
  }
  private final LlamaServer server;
  private final String modelName;
  private final Duration timeout;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition quiet = lock.newCondition();
  private int speaking;
  /** One caller's first words generated at a time (see {@link #beforeFirstWords}); fair: first come, first served. */
  private final java.util.concurrent.Semaphore firstWords = new java.util.concurrent.Semaphore(1, true);
  /** How long a caller's first words wait for another caller's before both go on together. */
  static final Duration FIRST_WORDS_WAIT = Duration.ofMillis(3_000);
  /** Counts the spoken replies begun: background work started before a newer one is preempted. */
  private volatile long speechStarts;
  static final int MAX_PREEMPTIONS = 3;
  /** How long a warm-up may hold the session's first turn back. */
  static final Duration WARM_TIMEOUT = Duration.ofSeconds(15);

  LocalLlamaProvider(Path binary, Path gguf, int threads, int slots, Duration timeout) {
    this.server = LlamaServer.start(binary, gguf, threads, slots, 4096, Duration.ofSeconds(120));
    this.modelName = gguf.getFileName().toString().replace(".gguf", "");
    this.timeout = timeout;
  }

  @Override
  public String name() {
    return "local";
  }

  @Override
  public Completion complete(Request request, Consumer<String> onDelta) {
    ObjectNode fieldsSchema = fieldsSchema(request);
    String prompt = conversation(request.messages(), fieldsSchema, true);

    LlamaServer.Result spoken;
    String opening = "{\"" + AgentConfigValidator.SPOKEN_FIELD + "\":\"";
    if (request.background()) { // nobody is listening: it yields to live callers and is spoken (if at all) whole
      spoken = inBackground(prompt, spokenBody(request));
      onDelta.accept(opening + escaped(spoken.text()));
    } else {
      onDelta.accept(opening);
      ToolChoice choice = TurnResponder.toolsOffered(request) && ToolCalls.mayHoldValues(lastCallerWords(request))
          ? chooseTool(prompt, request) : null;
      if (choice != null && choice.call() != null) { // nothing said yet: the turn goes on once the tool has answered
        onDelta.accept("\"}");
        return new Completion("{\"" + AgentConfigValidator.SPOKEN_FIELD + "\":\"\"}",
            choice.result().promptEvaluated(), choice.result().generated(), choice.result().firstTokenNanos(),
            modelName, choice.call());
      }
      Consumer<String> onPiece = piece -> onDelta.accept(escaped(piece));
      LlamaServer.Result first = speakFirst(prompt, request, onPiece);
      spoken = speakRest(prompt, request, first, onPiece);
    }
    String reply = spoken.text().strip();
    onDelta.accept("\"");
    if (spoken.firstTokenNanos() > SLOW_FIRST_TOKEN_MS * 1_000_000 && !request.background()) {
      log.info("local model {}: first word after {} ms; it read {} new prompt tokens ({} from its cache)", modelName,
          spoken.firstTokenNanos() / 1_000_000, spoken.promptEvaluated(), spoken.promptCached());
    }

    ObjectNode whole = JSON.createObjectNode();
    whole.put(AgentConfigValidator.SPOKEN_FIELD, reply);
    int promptTokens = spoken.promptEvaluated();
    int generated = spoken.generated();
    if (fieldsSchema.path("properties").size() > 0 && !request.background()) { // a summary needs only its text
      String fieldsPrompt = prompt + reply + "<|im_end|>\n<|im_start|>system\n" + fieldsCue(lastCallerWords(request))
          + "<|im_end|>\n<|im_start|>assistant\n";
      LlamaServer.Result fields = inBackground(fieldsPrompt, fieldsBody(request, fieldsSchema));
      promptTokens += fields.promptEvaluated();
      generated += fields.generated();
      try {
        JsonNode parsed = JSON.readTree(fields.text());
        if (parsed instanceof ObjectNode object) {
          object.fields().forEachRemaining(e -> whole.set(e.getKey(), e.getValue()));
        } else {
          whole.put("_unparsed_fields", fields.text());
        }
      } catch (java.io.IOException e) { // cut off at the token limit: the validator names what is missing
        whole.put("_unparsed_fields", fields.text());
      }
    }
    String text = whole.toString();
    String spokenPart = "{\"" + AgentConfigValidator.SPOKEN_FIELD + "\":" + JSON.getNodeFactory().textNode(reply);
    onDelta.accept(text.substring(Math.min(text.length(), spokenPart.length())));
    return new Completion(text, promptTokens, generated, spoken.firstTokenNanos(), modelName);
  }

  private static String lastCallerWords(Request request) {
    List<Message> messages = request.messages();
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i).role().equals("user")) {
        return messages.get(i).content();
      }
    }
    return null;
  }

  private static String escaped(String text) {
    String quoted = JSON.getNodeFactory().textNode(text).toString();
    return quoted.substring(1, quoted.length() - 1);
  }

  /**
   * A live caller's reply, in two requests over the same cached prompt. The first sentence goes ahead of every
   * other session's work but other first sentences (it is what the caller waits for in silence). The rest of the
   * reply (at most one more sentence) is generated while that sentence is being spoken, and yields to other
   * sessions' first sentences like background work does, for at most {@link #REST_YIELD}: when calls overlap, a
   * caller who has nothing to hear yet goes before one who is already hearing the agent.
   */
  private LlamaServer.Result speakFirst(String prompt, Request request, Consumer<String> onPiece) {
    return beforeFirstWords(() -> server.complete(prompt, spokenBody(request, FIRST_SENTENCE_GRAMMAR,
        SPOKEN_MAX_TOKENS), timeout, onPiece));
  }

  /**
   * Work a caller waits for in silence (its first sentence, or the tool step before it): background work yields to it,
   * and callers are served one at a time, in the order they came. On two cores reading four new caller lines at once
   * makes all four wait as long as the last (a turn's prompt is read at the same cost batched or not), while one after
   * the other the first caller speaks after one turn's work, the second after two. A caller waits at most
   * {@link #FIRST_WORDS_WAIT} for another, so that one long sentence cannot hold the others back; then both go on.
   */
  private LlamaServer.Result beforeFirstWords(java.util.function.Supplier<LlamaServer.Result> work) {
    beginSpeaking();
    boolean inTurn = false;
    try {
      inTurn = firstWords.tryAcquire(FIRST_WORDS_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return work.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return work.get();
    } finally {
      if (inTurn) {
        firstWords.release();
      }
      endSpeaking();
    }
  }

  /** The rest of a live reply after its {@code first} sentence (see {@link #speakFirst}); both together. */
  private LlamaServer.Result speakRest(String prompt, Request request, LlamaServer.Result first,
      Consumer<String> onPiece) {
    int left = SPOKEN_MAX_TOKENS - first.generated();
    if (!endsSentence(first.text()) || left <= 0) { // cut off at the token limit: nothing more to say
      return first;
    }
    onPiece.accept(" "); // the first sentence is complete: it is spoken now, not when the next word comes
    LlamaServer.Result rest = inBackground(prompt + first.text(), spokenBody(request, REST_GRAMMAR, left),
        REST_YIELD, MAX_PREEMPTIONS);
    String more = rest.text().strip();
    if (!more.isEmpty()) {
      onPiece.accept(more);
    }
    return new LlamaServer.Result(first.text() + (more.isEmpty() ? "" : " " + more), first.promptEvaluated()
        + rest.promptEvaluated(), first.promptCached(), first.generated() + rest.generated(),
        first.firstTokenNanos(), rest.stopReason());
  }

  /** What the tool step decided: {@code call} null when no tool is to run. */
  record ToolChoice(LlmProvider.ToolRequest call, LlamaServer.Result result) {}

  /**
   * Before a live reply to caller words that may hold a value ({@link ToolCalls#mayHoldValues}), the model writes the
   * tool call that would answer them, in its own tool-call format, constrained to the tools' names and parameters. A
   * small model asked whether to call says yes to everything, and asked for the call it copies the caller's values
   * accurately and makes missing ones up ("12345"); so the call is made only when the values are in the caller's last
   * words ({@link ToolCalls#parse}). The tools are not described in the system turn: there, they made a 1.5B model
   * offer to look something up in answer to anything ("I will check the order status" to a login problem). The step
   * goes ahead of other sessions' work like a first sentence (it holds this caller's first words back).
   */
  private ToolChoice chooseTool(String prompt, Request request) {
    ObjectNode body = JSON.createObjectNode();
    body.put("n_predict", TOOL_MAX_TOKENS);
    body.put("temperature", 0.0);
    body.put("seed", SEED);
    body.put("grammar", toolGrammar(request.tools()));
    body.putArray("stop").add("<|im_end|>").add("\n");
    LlamaServer.Result result = beforeFirstWords(() -> server.complete(prompt + "<tool_call>\n", body, timeout,
        piece -> { }));
    ToolCalls.Parsed parsed = ToolCalls.parse(result.text().strip(), request.tools(), lastCallerWords(request));
    if (parsed.call() != null) {
      log.info("local model {}: calls tool {} with {}", modelName, parsed.call().tool(), parsed.call().arguments());
    } else {
      log.info("local model {}: no tool call ({})", modelName, parsed.declined());
    }
    return new ToolChoice(parsed.call(), result);
  }

  static final int TOOL_MAX_TOKENS = 100;

  /**
   * One call of one of the tools as {"name": "...", "arguments": {...}}, with each of the tool's parameters as a text
   * value, in the order of its schema.
   */
  static String toolGrammar(List<dev.parley.agentconfig.AgentConfig.ToolConfig> tools) {
    StringBuilder grammar = new StringBuilder("root ::= ");
    StringBuilder rules = new StringBuilder();
    for (int i = 0; i < tools.size(); i++) {
      grammar.append(i == 0 ? "" : " | ").append("tool").append(i);
      rules.append("tool").append(i).append(" ::= \"{\\\"name\\\": \\\"").append(tools.get(i).name())
          .append("\\\", \\\"arguments\\\": {\"");
      List<String> names = ToolCalls.parameterNames(tools.get(i));
      for (int j = 0; j < names.size(); j++) {
        rules.append(" \"").append(j == 0 ? "" : ", ").append("\\\"").append(names.get(j))
            .append("\\\": \\\"\" value \"\\\"\"");
      }
      rules.append(" \"}}\"\n");
    }
    return grammar.append('\n').append(rules).append("value ::= [^\"\\\\\\n]{0,60}\n").toString();
  }

  private static boolean endsSentence(String text) {
    String stripped = text.strip();
    return !stripped.isEmpty() && ".!?".indexOf(stripped.charAt(stripped.length() - 1)) >= 0;
  }

  /**
   * Work nobody is waiting to hear (fields, summaries, warm-ups): it starts once no session is generating
   * its spoken reply's first sentence (or after {@link #FIELDS_YIELD}), and when a session starts speaking
   * meanwhile it is stopped and started again later (at most {@link #MAX_PREEMPTIONS} times), so callers'
   * first words do not share the two cores with it.
   */
  private LlamaServer.Result inBackground(String prompt, ObjectNode body) {
    return inBackground(prompt, body, FIELDS_YIELD, MAX_PREEMPTIONS);
  }

  private LlamaServer.Result inBackground(String prompt, ObjectNode body, Duration yield, int maxPreemptions) {
    for (int attempt = 0; ; attempt++) {
      awaitQuiet(yield);
      long started = speechStarts;
      java.util.function.BooleanSupplier preempted = attempt >= maxPreemptions ? () -> false
          : () -> speechStarts != started;
      LlamaServer.Result result = server.complete(prompt, body, timeout, piece -> { }, preempted);
      if (!result.cancelled()) {
        return result;
      }
    }
  }

  /** The reply's schema without the spoken reply: what the fields step fills in. */
  private static ObjectNode fieldsSchema(Request request) {
    ObjectNode fieldsSchema = request.schema().deepCopy();
    ((ObjectNode) fieldsSchema.get("properties")).remove(AgentConfigValidator.SPOKEN_FIELD);
    removeRequired(fieldsSchema, AgentConfigValidator.SPOKEN_FIELD);
    return fieldsSchema;
  }

  /**
   * Puts the conversation so far into the server's cache, so the next turn reads only its own words: called
   * while the greeting plays (without a new caller turn), and when the caller pauses with the words so far as
   * the last message (read ahead: the turn, if it comes with those words, then reads almost nothing).
   */
  @Override
  public void warm(Request request) {
    List<Message> messages = request.messages();
    boolean ahead = !messages.isEmpty() && messages.get(messages.size() - 1).role().equals("user");
    String prompt = conversation(messages, fieldsSchema(request), ahead);
    ObjectNode body = JSON.createObjectNode().put("n_predict", 0);
    Duration bound = ahead ? READ_AHEAD_TIMEOUT : WARM_TIMEOUT;
    boolean live = ahead && !request.background(); // a live caller's words: background work yields to them
    if (live) {
      beginSpeaking();
    } else {
      awaitQuiet();
    }
    try { // bounded: the session's turn waits for this; the server goes on reading the prompt into its cache
      server.complete(prompt, body, bound.compareTo(timeout) < 0 ? bound : timeout, piece -> { });
    } finally {
      if (live) {
        endSpeaking();
      }
    }
  }

  /** How long reading a caller's unconfirmed words ahead may hold their turn back. */
  static final Duration READ_AHEAD_TIMEOUT = Duration.ofSeconds(3);

  private ObjectNode spokenBody(Request request) {
    return spokenBody(request, SPOKEN_GRAMMAR, SPOKEN_MAX_TOKENS);
  }

  private ObjectNode spokenBody(Request request, String grammar, int maxTokens) {
    ObjectNode body = JSON.createObjectNode();
    body.put("n_predict", maxTokens);
    body.put("temperature", request.temperature());
    body.put("seed", SEED); // the same conversation gets the same answer: reproducible tests and what-if replays
    body.put("repeat_penalty", 1.1);
    body.put("grammar", grammar);
    body.putArray("stop").add("<|im_end|>").add("\n");
    return body;
  }

  private ObjectNode fieldsBody(Request request, ObjectNode fieldsSchema) {
    ObjectNode body = JSON.createObjectNode();
    body.put("n_predict", FIELDS_MAX_TOKENS);
    body.put("temperature", 0.0); // fields are judgements, not style
    body.put("seed", SEED);
    body.set("json_schema", bounded(fieldsSchema));
    body.putArray("stop").add("<|im_end|>");
    return body;
  }

  /**
   * The conversation in ChatML. The system turn holds the agent's instructions, how to speak, and what
   * each field means (the model sees the fields' allowed values before it has to fill them in). With
   * {@code answer}, it ends by opening the agent's reply to the last caller turn; without, it ends
   * after the last agent turn, ready for the next caller turn. A turn's tool use is in the model's own format: the
   * call inside {@code <tool_call>} tags in the agent's turn, the tool's answer in a {@code <tool_response>}.
   */
  static String conversation(List<Message> messages, ObjectNode fieldsSchema, boolean answer) {
    StringBuilder prompt = new StringBuilder();
    String instructions = "";
    List<Message> turns = new ArrayList<>();
    for (Message message : messages) {
      if (message.role().equals("system")) {
        instructions = message.content();
      } else {
        turns.add(message);
      }
    }
    prompt.append("<|im_start|>system\n").append(system(instructions, fieldsSchema)).append("<|im_end|>\n");
    String end = "<|im_end|>\n";
    String previous = "";
    for (Message turn : turns) {
      switch (turn.role()) {
        case "tool_call" -> {
          if (previous.equals("assistant")) { // what the agent said before asking: the same turn
            prompt.setLength(prompt.length() - end.length());
            prompt.append('\n');
          } else {
            prompt.append("<|im_start|>assistant\n");
          }
          prompt.append("<tool_call>\n").append(turn.content().strip()).append("\n</tool_call>").append(end);
        }
        case "tool" -> prompt.append("<|im_start|>user\n<tool_response>\n").append(turn.content().strip())
            .append("\n</tool_response>").append(end);
        case "assistant" -> prompt.append("<|im_start|>assistant\n").append(turn.content().strip()).append(end);
        // the caller's numbers as digits: speech-to-text writes "four thousand, four hundred seventeen", which the
        // model copies as 44017 into a tool call
        default -> prompt.append("<|im_start|>user\n").append(SpokenNumbers.withDigits(turn.content().strip()))
            .append(end);
      }
      previous = turn.role();
    }
    if (answer) {
      prompt.append("<|im_start|>assistant\n");
    } else {
      prompt.append("<|im_start|>user\n");
    }
    return prompt.toString();
  }

  static String system(String instructions, ObjectNode fieldsSchema) {
    String base = instructions.replace(TurnResponder.JSON_NOTE, "").strip();
    StringBuilder text = new StringBuilder(base);
    JsonNode properties = fieldsSchema.path("properties");
    if (properties.size() > 0) {
      text.append("\n\nWhen asked, you also keep a record of the call in these fields, judged from the whole"
          + " conversation (never invent facts the caller did not give; a list may be empty):");
      for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        text.append("\n- ").append(field.getKey()).append(": ").append(describe(field.getValue()));
      }
    }
    text.append("\n\nYou are on a phone call. Talk to the caller directly: answer what they just said in one or two"
        + " short spoken sentences, plain words, no lists, no markup. Never repeat a sentence you already said.");
    return text.toString();
  }

  /** A field's type and meaning in a few words, as the model reads it. */
  static String describe(JsonNode property) {
    JsonNode type = property;
    String nullable = "";
    if (property.has("anyOf")) {
      type = property.get("anyOf").get(0);
      nullable = ", or null if not known yet";
    }
    String kind;
    if (type.has("enum")) {
      List<String> values = new ArrayList<>();
      type.get("enum").forEach(v -> values.add(v.asText()));
      kind = "one of " + String.join(", ", values);
    } else {
      kind = switch (type.path("type").asText()) {
        case "boolean" -> "true or false";
        case "integer" -> type.has("minimum") && type.has("maximum")
            ? "a whole number from " + type.get("minimum").asLong() + " to " + type.get("maximum").asLong()
            : "a whole number";
        case "number" -> "a number";
        case "array" -> "a list of short texts (empty if none)";
        default -> "a short text";
      };
    }
    String description = property.path("description").asText("");
    return kind + nullable + (description.isBlank() ? "" : ". " + description);
  }

  private static void removeRequired(ObjectNode schema, String name) {
    if (schema.get("required") instanceof com.fasterxml.jackson.databind.node.ArrayNode required) {
      for (int i = required.size() - 1; i >= 0; i--) {
        if (required.get(i).asText().equals(name)) {
          required.remove(i);
        }
      }
    }
  }

  /**
   * The schema with every free string and list bounded: a small model otherwise rambles until the
   * token limit cuts the JSON off. (OpenAI's strict mode refuses maxLength, so only this provider adds it.)
   */
  static ObjectNode bounded(ObjectNode schema) {
    ObjectNode copy = schema.deepCopy();
    bound(copy);
    return copy;
  }

  private static void bound(JsonNode node) {
    if (node instanceof ObjectNode object) {
      if ("string".equals(object.path("type").asText()) && !object.has("enum") && !object.has("maxLength")) {
        object.put("maxLength", 60);
      }
      if ("array".equals(object.path("type").asText()) && !object.has("maxItems")) {
        object.put("maxItems", 3);
      }
      object.elements().forEachRemaining(LocalLlamaProvider::bound);
    } else if (node != null && node.isArray()) {
      node.elements().forEachRemaining(LocalLlamaProvider::bound);
    }
  }

  private void beginSpeaking() {
    lock.lock();
    try {
      speaking++;
      speechStarts++;
    } finally {
      lock.unlock();
    }
  }

  private void endSpeaking() {
    lock.lock();
    try {
      if (--speaking == 0) {
        quiet.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Lets other sessions' spoken replies go first, for a bounded time. */
  private void awaitQuiet() {
    awaitQuiet(FIELDS_YIELD);
  }

  private void awaitQuiet(Duration yield) {
    long deadline = System.nanoTime() + yield.toNanos();
    lock.lock();
    try {
      while (speaking > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !quiet.await(left, TimeUnit.NANOSECONDS)) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  boolean alive() {
    return server.alive();
  }

  @Override
  public void close() {
    server.close();
  }
}
