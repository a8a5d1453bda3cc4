package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.agentconfig.StructuredOutputSchema;
import dev.parley.events.TurnOutcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The offline provider for real: llama-server (built by {@code ./parley setup} for this CPU) with the
 * default instruction-tuned model, a two-turn conversation per seed agent: spoken words a caller can
 * follow, fields a person would agree on, the conversation prompt reused from the cache.
 */
class LocalLlamaProviderIT {
  private static final Path MODEL = LocalFiles.model();
  private static final Path SERVER = LocalFiles.server();
  private static Providers providers;

  @BeforeAll
  static void load() {
    assumeTrue(MODEL != null && SERVER != null, "no local model or llama-server: run ./parley setup (CI always has them)");
    providers = new Providers(new LlmSettings("", "", "", MODEL.toString(), 2, Duration.ofSeconds(60), 0,
        SERVER.toString(), 4));
  }

  @AfterAll
  static void close() {
    if (providers != null) {
      providers.close();
    }
  }

  private static AgentConfig seed(String id) {
    return SeedAgents.all().stream().filter(c -> c.agentId().equals(id)).findFirst().orElseThrow()
        .withDefaults().withServerFields(1, "active", null, null);
  }

  @Test
  void supportAgentHoldsATwoTurnConversationWithFieldsAPersonWouldAgreeOn() {
    AgentConfig config = seed("support-agent-v1");
    TurnResponder responder = responder();
    List<SessionHistory.Exchange> history = new ArrayList<>(greeted(config));
    responder.warm(config, history);

    List<String> spoken = new ArrayList<>();
    TurnResponder.Answer first = responder.answer(config, history, "Hi, I was charged twice for my subscription this month.",
        (i, text) -> spoken.add(text));
    print(config, first);
    assertThat(first.outcome()).as(first.fallbackReason()).isEqualTo(TurnOutcome.OK);
    assertThat(new ReplyValidator(StructuredOutputSchema.build(config.schemaConfig())).check(first.completion().text())
        .valid()).isTrue();
    assertThat(first.fields().path("issue_category").asText()).isEqualTo("billing");
    assertThat(first.spoken()).as("plain spoken English").matches("[A-Z\"'].*[a-z]{3,}.*").doesNotContain("{", "*", "\n");
    assertThat(first.spoken().split("[.!?]( |$)").length).as("one or two short sentences").isLessThanOrEqualTo(3);
    assertThat(first.completion().promptTokens()).as("the warmed prompt was reused: only the new turn is read")
        .isLessThan(80);
    assertThat(spoken).isNotEmpty();

    history.add(new SessionHistory.Exchange("t1", "Hi, I was charged twice for my subscription this month.", first.spoken()));
    TurnResponder.Answer second = responder.answer(config, history,
        "This is ridiculous, I want my money back right now and I want to talk to a manager.", (i, text) -> { });
    print(config, second);
    assertThat(second.outcome()).isEqualTo(TurnOutcome.OK);
    assertThat(second.fields().path("escalation_needed").asBoolean()).as("angry caller asking for a refund and a manager")
        .isTrue();
    assertThat(second.fields().path("sentiment").asText()).isEqualTo("negative");
    assertThat(second.spoken()).isNotEqualTo(first.spoken());
  }

  @Test
  void wordsReadAheadWhileTheCallerPausedAreNotReadAgainByTheirTurn() {
    AgentConfig seed = seed("support-agent-v1");
    AgentConfig config = withoutFields(seed); // the turn's prompt count is then the spoken reply's alone
    TurnResponder responder = responder();
    List<SessionHistory.Exchange> history = List.of(new SessionHistory.Exchange("greeting", "",
        "Hello, this is the read-ahead line, how can I help?"));
    responder.warm(config, history);
    String words = "My account login isn't working since this morning.";
    assertThat(responder.readAhead(config, history, words)).isTrue();
    TurnResponder.Answer ahead = responder.answer(config, history, words, (i, text) -> { });
    TurnResponder.Answer cold = responder.answer(config, history, "Can you tell me when my next invoice is due?",
        (i, text) -> { });
    System.out.printf("read ahead: the turn read %d prompt tokens (first token %d ms); without: %d (%d ms)%n",
        ahead.completion().promptTokens(), ahead.completion().firstTokenNanos() / 1_000_000,
        cold.completion().promptTokens(), cold.completion().firstTokenNanos() / 1_000_000);
    assertThat(ahead.outcome()).isEqualTo(TurnOutcome.OK);
    assertThat(ahead.completion().promptTokens()).as("everything was in the cache").isLessThanOrEqualTo(3);
    assertThat(cold.completion().promptTokens()).as("a turn not read ahead reads its words").isGreaterThan(10);
  }

  @Test
  void aCallerWaitingForFirstWordsGoesBeforeTheRestOfAnotherCallersReply() throws Exception {
    AgentConfig config = withoutFields(seed("support-agent-v1"));
    TurnResponder responder = responder();
    List<SessionHistory.Exchange> greeted = greeted(config);
    long start = System.nanoTime();
    List<long[]> firstCaller = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.CountDownLatch firstWords = new java.util.concurrent.CountDownLatch(1);
    long[] secondCallerFirstChunk = {-1};
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      var a = pool.submit(() -> responder.answer(config, greeted,
          "I was charged twice for my subscription this month, what happens now and when do I get the money back?",
          (i, text) -> {
            firstCaller.add(new long[] {i, System.nanoTime() - start});
            firstWords.countDown();
          }));
      var b = pool.submit(() -> {
        firstWords.await();
        return responder.answer(config, greeted, "My account login isn't working since this morning.",
            (i, text) -> {
              if (i == 0) {
                secondCallerFirstChunk[0] = System.nanoTime() - start;
              }
            });
      });
      TurnResponder.Answer first = a.get(120, java.util.concurrent.TimeUnit.SECONDS);
      TurnResponder.Answer second = b.get(120, java.util.concurrent.TimeUnit.SECONDS);
      print(config, first);
      print(config, second);
      assertThat(first.outcome()).isEqualTo(TurnOutcome.OK);
      assertThat(second.outcome()).isEqualTo(TurnOutcome.OK);
      assertThat(firstCaller).as("the first caller's reply came in more than one piece: %s", first.spoken())
          .hasSizeGreaterThanOrEqualTo(2);
      long lastOfFirst = firstCaller.get(firstCaller.size() - 1)[1];
      System.out.printf("first caller: pieces at %s ms; second caller's first words at %d ms%n",
          firstCaller.stream().map(p -> Long.toString(p[1] / 1_000_000)).toList(), secondCallerFirstChunk[0] / 1_000_000);
      assertThat(secondCallerFirstChunk[0]).as("the second caller's first words came before the first caller's"
          + " last sentence, which waited for them").isLessThan(lastOfFirst);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Three callers' turns arriving in the same instant: batched, all three would read their lines and speak their
   * first sentences together, each as late as the last; served first come, first served, the first speaks after one
   * turn's work and the last after three (the median caller waits less: measured in docs/benchmarks.md).
   */
  @Test
  void callersWhoseTurnsArriveTogetherGetTheirFirstWordsOneAfterAnother() throws Exception {
    AgentConfig config = withoutFields(seed("support-agent-v1"));
    TurnResponder responder = responder();
    List<SessionHistory.Exchange> greeted = greeted(config);
    List<String> lines = List.of("My account login isn't working since this morning.",
        "I was charged twice for my subscription this month.", "The app crashes every time I open the reports page.");
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(lines.size());
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    long[] firstWords = new long[lines.size()];
    try {
      List<java.util.concurrent.Future<Boolean>> warmed = new ArrayList<>(); // the instructions in every slot's cache
      for (int k = 0; k < lines.size(); k++) {
        warmed.add(pool.submit(() -> responder.warm(config, greeted)));
      }
      for (var warm : warmed) {
        assertThat(warm.get(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      }
      List<java.util.concurrent.Future<TurnResponder.Answer>> answers = new ArrayList<>();
      long[] start = {0};
      for (int k = 0; k < lines.size(); k++) {
        int caller = k;
        answers.add(pool.submit(() -> {
          go.await();
          return responder.answer(config, greeted, lines.get(caller), (i, text) -> {
            if (i == 0) {
              firstWords[caller] = System.nanoTime() - start[0];
            }
          });
        }));
      }
      start[0] = System.nanoTime();
      go.countDown();
      for (var answer : answers) {
        assertThat(answer.get(120, java.util.concurrent.TimeUnit.SECONDS).outcome()).isEqualTo(TurnOutcome.OK);
      }
      long[] sorted = firstWords.clone();
      java.util.Arrays.sort(sorted);
      System.out.printf("three turns at once: first sentences at %d, %d, %d ms%n", sorted[0] / 1_000_000,
          sorted[1] / 1_000_000, sorted[2] / 1_000_000);
      assertThat(sorted[0]).as("every caller heard first words").isPositive();
      assertThat(sorted[0]).as("the first caller served did not wait for the others' lines to be read: %s",
          java.util.Arrays.toString(sorted)).isLessThan(sorted[2] / 2);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void theModelAsksForAToolOnlyWithValuesTheCallerSaidAndAnswersFromItsResult() {
    AgentConfig config = withOrderStatus(seed("support-agent-v1"));
    TurnResponder responder = responder();
    List<SessionHistory.Exchange> history = greeted(config);

    String question = "Hi, where is my order 4417? It still hasn't arrived.";
    List<String> spoken = new ArrayList<>();
    TurnResponder.Answer asking = responder.answer(config, history, question, (i, text) -> spoken.add(text));
    print(config, asking);
    assertThat(asking.toolCall()).as("said before asking: %s", asking.spoken()).isNotNull();
    assertThat(asking.toolCall().tool()).isEqualTo("order_status");
    assertThat(asking.toolCall().arguments().path("order_id").asText()).isEqualTo("4417");

    String result = "{\"order_id\":\"4417\",\"status\":\"shipped\",\"carrier\":\"DHL\",\"arrives\":\"Thursday\"}";
    TurnResponder.Answer answered = responder.answer(config, history, question,
        List.of(new TurnResponder.ToolStep(asking.spoken(), asking.toolCall(), result)), (i, text) -> spoken.add(text));
    print(config, answered);
    assertThat(answered.outcome()).as(answered.fallbackReason()).isEqualTo(TurnOutcome.OK);
    assertThat(answered.toolCall()).as("one tool per turn").isNull();
    assertThat(answered.spoken().toLowerCase()).as("the caller hears what the tool said").containsAnyOf("thursday",
        "shipped", "dhl");
    assertThat(new ReplyValidator(StructuredOutputSchema.build(config.schemaConfig()))
        .check(answered.completion().text()).valid()).isTrue();

    for (String unrelated : List.of("I was charged twice for my subscription this month.",
        "My package hasn't arrived yet.")) {
      TurnResponder.Answer plain = responder.answer(config, history, unrelated, (i, text) -> { });
      print(config, plain);
      assertThat(plain.toolCall()).as("no order number was said: %s", unrelated).isNull();
      assertThat(plain.outcome()).isEqualTo(TurnOutcome.OK);
    }
  }

  @Test
  void anAgentThatMayEndTheCallSaysGoodbyeAndEndsItOnlyWhenTheCallerIsDone() {
    AgentConfig config = supportWithOrdersAnd(new AgentConfig.ToolConfig("end_call", null, null, null, null));
    TurnResponder responder = responder();
    List<SessionHistory.Exchange> history = new ArrayList<>(greeted(config));
    String problem = "I was charged twice for my subscription this month.";
    TurnResponder.Answer open = responder.answer(config, history, problem, (i, text) -> { });
    print(config, open);
    assertThat(open.fields().path("end_call").asBoolean(true)).as("a caller with a problem is not done").isFalse();
    history.add(new SessionHistory.Exchange("t1", problem, open.spoken()));
    String done = "Great, that's all I needed. Thank you, goodbye!";
    TurnResponder.Answer bye = responder.answer(config, history, done, (i, text) -> { });
    print(config, bye);
    assertThat(bye.outcome()).isEqualTo(TurnOutcome.OK);
    assertThat(bye.fields().path("end_call").asBoolean(false)).as("the caller said goodbye").isTrue();
  }

  @Test
  void anAgentThatMayPassTheCallerOnDoesSoOnlyWhenTheyAskForWhatTheOtherAgentDoes() {
    AgentConfig config = supportWithOrdersAnd(new AgentConfig.ToolConfig("handoff", HANDOFF_TO_SALES, null, null,
        null, List.of("sales-agent-v1")));
    TurnResponder responder = responder();
    List<SessionHistory.Exchange> history = new ArrayList<>(greeted(config));
    for (String stays : List.of("My account login isn't working.", "I was charged twice for my subscription.",
        "The app crashes when I open it.")) {
      TurnResponder.Answer answer = responder.answer(config, history, stays, (i, text) -> { });
      print(config, answer);
      assertThat(answer.outcome()).isEqualTo(TurnOutcome.OK);
      assertThat(answer.fields().path("handoff_to").asText()).as("stays with support: %s", stays).isEqualTo("none");
    }
    for (String passes : List.of("Can I talk to someone in sales about pricing for my team of 20?",
        "I want to buy the business plan for my company. Who do I talk to about that?")) {
      TurnResponder.Answer answer = responder.answer(config, history, passes, (i, text) -> { });
      print(config, answer);
      assertThat(answer.outcome()).isEqualTo(TurnOutcome.OK);
      assertThat(answer.fields().path("handoff_to").asText()).as("passed to sales: %s", passes)
          .isEqualTo("sales-agent-v1");
    }
  }

  @Test
  void aFinishedCallIsSummarizedForTheRecordInTheThirdPersonWithoutClaimingWhatWasOnlySuggested() {
    AgentConfig config = seed("support-agent-v1");
    TurnResponder responder = responder();
    List<SessionHistory.Exchange> history = List.of(
        new SessionHistory.Exchange("greeting", "", config.promptConfig().greeting()),
        new SessionHistory.Exchange("t1", "The app crashes when I open it.",
            "Sorry about that. Which phone and app version are you using?"),
        new SessionHistory.Exchange("t2", "An iPhone 12, I don't know the version.",
            "Please try reinstalling the app and tell me if it still crashes."));
    TurnResponder.Answer summary = responder.summarize(config, history, TurnResponder.SUMMARY_REQUEST);
    System.out.println("summary: " + summary.spoken());
    assertThat(summary.outcome()).isEqualTo(TurnOutcome.OK);
    assertThat(summary.spoken()).as("a record, in the third person").startsWith("The caller")
        .doesNotContainPattern("\\b(You|I) (helped|fixed|reset|resolved)");
    assertThat(summary.spoken().toLowerCase()).contains("crash").doesNotContain("reinstalled the app");
  }

  /** The seed support agent with the order tool and one built-in action. */
  private static AgentConfig supportWithOrdersAnd(AgentConfig.ToolConfig action) {
    AgentConfig seed = seed("support-agent-v1");
    List<AgentConfig.ToolConfig> tools = new ArrayList<>(withOrderStatus(seed).tools());
    tools.add(action);
    return new AgentConfig(seed.agentId(), seed.tenantId(), seed.name(), seed.description(),
        seed.promptConfig(), seed.schemaConfig(), seed.llmConfig(), seed.voiceConfig(), seed.sttConfig(), tools,
        seed.version(), seed.status(), seed.createdAt(), seed.updatedAt());
  }

  static final String HANDOFF_TO_SALES = "sales-agent-v1 when the caller wants to buy, upgrade, or asks about"
      + " prices, plans or a quote; otherwise none.";

  static AgentConfig withOrderStatus(AgentConfig seed) {
    com.fasterxml.jackson.databind.node.ObjectNode parameters = dev.parley.agentconfig.AgentConfigJson.MAPPER
        .createObjectNode().put("type", "object");
    parameters.putObject("properties").putObject("order_id").put("type", "string")
        .put("description", "the order number the caller gave");
    parameters.putArray("required").add("order_id");
    AgentConfig.ToolConfig tool = new AgentConfig.ToolConfig("order_status",
        "Looks up an order by its number: whether it shipped and when it arrives.", parameters,
        new AgentConfig.HttpBinding("GET", "http://127.0.0.1:9/orders/{order_id}", null, null, null),
        "One moment while I look that up.");
    return new AgentConfig(seed.agentId(), seed.tenantId(), seed.name(), seed.description(), seed.promptConfig(),
        seed.schemaConfig(), seed.llmConfig(), seed.voiceConfig(), seed.sttConfig(), List.of(tool), seed.version(),
        seed.status(), seed.createdAt(), seed.updatedAt());
  }

  private static AgentConfig withoutFields(AgentConfig seed) {
    return new AgentConfig(seed.agentId(), seed.tenantId(), seed.name(), seed.description(),
        seed.promptConfig(), new AgentConfig.SchemaConfig(seed.schemaConfig().schemaId(), List.of()), seed.llmConfig(),
        seed.voiceConfig(), seed.sttConfig(), seed.tools(), seed.version(), seed.status(), seed.createdAt(), seed.updatedAt());
  }

  @Test
  void everySeedAgentAnswersWithItsOwnSchemaAndAFirstClauseEarly() {
    for (String id : SeedAgents.IDS) {
      AgentConfig config = seed(id);
      TurnResponder responder = responder();
      List<SessionHistory.Exchange> history = greeted(config);
      TurnResponder.Answer answer = responder.answer(config, history, "Hello, my name is Sam and I'm ready to start.",
          (i, text) -> { });
      print(config, answer);
      assertThat(answer.outcome()).as("%s: %s", id, answer.fallbackReason()).isEqualTo(TurnOutcome.OK);
      assertThat(new ReplyValidator(StructuredOutputSchema.build(config.schemaConfig()))
          .check(answer.completion().text()).valid()).isTrue();
      assertThat(answer.firstChunkNanos()).as("the first words come before the whole turn is done")
          .isLessThan(answer.completion().firstTokenNanos() + Duration.ofSeconds(10).toNanos());
    }
  }

  @Test
  void anUnknownModelNameIsOneClearError() {
    AgentConfig config = seed("support-agent-v1");
    LlmProvider.Request request = new LlmProvider.Request("local", null, "no-such-model", List.of(
        new LlmProvider.Message("user", "hi")), StructuredOutputSchema.build(config.schemaConfig()), "x", 0.2, 100);
    assertThatThrownBy(() -> providers.complete(request, d -> { })).isInstanceOf(LlmProvider.LlmException.class)
        .hasMessageContaining("local model 'no-such-model' not found").hasMessageContaining("local-default");
  }

  @Test
  void aCorruptModelFileIsOneClearErrorNamingTheFix() throws Exception {
    Path bad = Files.createTempFile("corrupt", ".gguf");
    Files.write(bad, new byte[] {'G', 'G', 'U', 'F', 1, 2, 3});
    try (Providers broken = new Providers(new LlmSettings("", "", "", bad.toString(), 1, Duration.ofSeconds(10), 0,
        SERVER.toString(), 1))) {
      assertThatThrownBy(() -> broken.complete(new LlmProvider.Request("local", null, "local-default",
          List.of(new LlmProvider.Message("user", "hi")), StructuredOutputSchema.build(seed("support-agent-v1")
          .schemaConfig()), "x", 0.2, 100), d -> { })).isInstanceOf(LlmProvider.LlmException.class)
          .hasMessageContaining("cannot load the local model").hasMessageContaining("./parley setup");
    } finally {
      Files.deleteIfExists(bad);
    }
  }

  private TurnResponder responder() {
    return new TurnResponder(providers, new CircuitBreaker(3, Duration.ofSeconds(10), Clock.systemUTC()));
  }

  /** A call that has just begun: the agent's greeting said. */
  private static List<SessionHistory.Exchange> greeted(AgentConfig config) {
    return List.of(new SessionHistory.Exchange("greeting", "", config.promptConfig().greeting()));
  }

  private static void print(AgentConfig config, TurnResponder.Answer answer) {
    System.out.printf("local model, %s: first piece %d ms, %d+%d tokens, %s: \"%s\" %s%n", config.agentId(),
        answer.firstChunkNanos() / 1_000_000, answer.completion().promptTokens(),
        answer.completion().completionTokens(), answer.outcome(), answer.spoken(), answer.fields());
  }

  /** Where ./parley setup puts the model and the server. */
  static final class LocalFiles {
    static Path model() {
      return find("PARLEY_LOCAL_MODEL", ".parley/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf");
    }

    static Path server() {
      return find("PARLEY_LLAMA_SERVER", ".parley/bin/llama-server");
    }

    private static Path find(String variable, String relative) {
      String fromEnv = Map.copyOf(System.getenv()).get(variable);
      if (fromEnv != null && Files.exists(Path.of(fromEnv))) {
        return Path.of(fromEnv);
      }
      for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
        Path candidate = dir.resolve(relative);
        if (Files.exists(candidate)) {
          return candidate;
        }
      }
      return null;
    }
  }
}
