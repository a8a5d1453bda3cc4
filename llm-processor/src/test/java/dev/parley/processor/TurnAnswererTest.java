package dev.parley.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigs;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.Escalation;
import dev.parley.events.RoutedEvent;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionStarted;
import dev.parley.events.SessionSummary;
import dev.parley.events.TurnOutcome;
import dev.parley.events.UserTurn;
import dev.parley.llm.CircuitBreaker;
import dev.parley.llm.LlmProvider;
import dev.parley.llm.TurnResponder;
import dev.parley.schemas.TurnId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/** An agent's conversation handled by TurnAnswerer alone: no Kafka, a scripted model, the records it would publish. */
class TurnAnswererTest {
  private static final String AGENT = "support-agent-v1";
  private static final AgentConfig SUPPORT = SeedAgents.all().stream().filter(c -> c.agentId().equals(AGENT))
      .findFirst().orElseThrow();
  private final Deque<String> script = new ArrayDeque<>();
  private final List<String> prompts = new ArrayList<>();
  private final List<AgentReply> replies = new ArrayList<>();
  private final List<Escalation> escalations = new ArrayList<>();
  private final List<SessionSummary> summaries = new ArrayList<>();
  private final java.util.TreeMap<Integer, AgentConfig> versions = new java.util.TreeMap<>(Map.of(1, SUPPORT));
  private boolean finishedElsewhere;

  private final List<dev.parley.events.ToolCall> toolCalls = new ArrayList<>();
  private final Map<String, dev.parley.events.ToolResult> recordedResults = new java.util.HashMap<>();
  private final Map<String, dev.parley.events.ToolResult> runnerResults = new java.util.HashMap<>();
  private LlmProvider.ToolRequest nextCall;
  private final List<dev.parley.events.Handoff> handoffs = new ArrayList<>();
  private List<AgentTurn> earlierTurns = List.of();
  private final java.util.Set<String> unserved = new java.util.HashSet<>();

  private final LlmProvider model = new LlmProvider() {
    @Override
    public Completion complete(Request request, Consumer<String> onDelta) {
      prompts.add(request.messages().get(request.messages().size() - 1).content());
      if (nextCall != null && TurnResponder.toolsOffered(request)) {
        LlmProvider.ToolRequest call = nextCall;
        nextCall = null;
        onDelta.accept("{\"system_response\":\"Let me check.\"}");
        return new Completion("{\"system_response\":\"Let me check.\"}", 100, 20, 1_000_000, "scripted", call);
      }
      String text = script.isEmpty() ? "{}" : script.removeFirst();
      onDelta.accept(text);
      return new Completion(text, 100, 20, 1_000_000, "scripted");
    }

    @Override
    public String name() {
      return "scripted";
    }
  };

  private final TurnAnswerer answerer = new TurnAnswerer(AGENT, AgentConfigs.of(Map.of(AGENT, versions)),
      new TurnResponder(model, new CircuitBreaker(5, Duration.ofSeconds(20), Clock.systemUTC())),
      new SessionMemory(10, 8000), new ReadAheads(Executors.newCachedThreadPool()),
      new ProcessorMetrics(new SimpleMeterRegistry()), new TurnAnswerer.Replies() {
        @Override
        public Future<RecordMetadata> reply(String session, AgentReply reply) {
          replies.add(reply);
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public Future<RecordMetadata> escalation(Escalation escalation) {
          escalations.add(escalation);
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public Future<RecordMetadata> summary(SessionSummary summary) {
          summaries.add(summary);
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public boolean answeredElsewhere(String session, String turnId) {
          return finishedElsewhere;
        }

        @Override
        public Future<RecordMetadata> toolCall(dev.parley.events.ToolCall call) {
          toolCalls.add(call);
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public Future<RecordMetadata> handoff(dev.parley.events.Handoff handoff) {
          handoffs.add(handoff);
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public List<AgentTurn> sessionTurns(String session, Duration back) {
          return earlierTurns;
        }

        @Override
        public boolean served(String agentId) {
          return !unserved.contains(agentId);
        }
      }, new TurnAnswerer.ToolResultSource() {
        @Override
        public java.util.Optional<dev.parley.events.ToolResult> known(String callId, Duration wait) {
          return java.util.Optional.ofNullable(recordedResults.get(callId));
        }

        @Override
        public java.util.Optional<dev.parley.events.ToolResult> await(String callId, Duration timeout) {
          return java.util.Optional.ofNullable(runnerResults.get(callId));
        }

        @Override
        public boolean runnerAvailable() {
          return runnerUp;
        }
      });
  private boolean runnerUp = true;

  private static final AgentConfig WITH_ORDERS = withOrderStatus();

  private static AgentConfig withOrderStatus() {
    var parameters = dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode().put("type", "object");
    parameters.putObject("properties").putObject("order_id").put("type", "string");
    var tool = new AgentConfig.ToolConfig("order_status", "Looks up an order.", parameters,
        new AgentConfig.HttpBinding("GET", "http://127.0.0.1:9/orders/{order_id}", null, 1000, 0),
        "One moment while I look that up.");
    return new AgentConfig(SUPPORT.agentId(), SUPPORT.tenantId(), SUPPORT.name(), SUPPORT.description(),
        SUPPORT.promptConfig(), SUPPORT.schemaConfig(), SUPPORT.llmConfig(), SUPPORT.voiceConfig(), SUPPORT.sttConfig(),
        List.of(tool), 1, AgentConfig.ACTIVE, Instant.now(), Instant.now());
  }

  private static AgentConfig withHandoff(String... agents) {
    var tool = new AgentConfig.ToolConfig("handoff", null, null, null, null, List.of(agents));
    return new AgentConfig(SUPPORT.agentId(), SUPPORT.tenantId(), SUPPORT.name(), SUPPORT.description(),
        SUPPORT.promptConfig(), SUPPORT.schemaConfig(), SUPPORT.llmConfig(), SUPPORT.voiceConfig(), SUPPORT.sttConfig(),
        List.of(tool), 1, AgentConfig.ACTIVE, Instant.now(), Instant.now());
  }

  private static String answerPassingTo(String spoken, String to) {
    return answer(spoken, false).replace("}", ",\"handoff_to\":\"" + to + "\"}");
  }

  private static dev.parley.events.ToolResult result(String callId, dev.parley.events.ToolOutcome outcome,
      String body) {
    return dev.parley.events.ToolResult.newBuilder().setSessionId("s").setTurnId("t").setCallId(callId)
        .setTool("order_status").setOutcome(outcome).setResult(body).setAttempts(1).setLatencyMs(5).setRunner("r")
        .setCompletedAt(Instant.now()).build();
  }

  private static LlmProvider.ToolRequest orderCall() {
    return new LlmProvider.ToolRequest("order_status",
        dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode().put("order_id", "4417"));
  }

  private static String answer(String spoken, boolean escalate) {
    return "{\"system_response\":\"" + spoken + "\",\"issue_category\":\"account\",\"sentiment\":\"negative\","
        + "\"issue_resolved\":false,\"escalation_needed\":" + escalate + ",\"priority\":3}";
  }

  private static RoutedEvent routed(String session, Object event) {
    return RoutedEvent.newBuilder().setSessionId(session).setAgentId(AGENT).setConfigVersion(1)
        .setRoutedAt(Instant.now()).setEvent(event).build();
  }

  private static RoutedEvent started(String session) {
    return routed(session, SessionStarted.newBuilder().setSessionId(session).setRoomName("room-" + session)
        .setParticipantIdentity("caller").setStartedAt(Instant.now()).build());
  }

  private static RoutedEvent line(String session, int index, String words) {
    Instant now = Instant.now();
    return routed(session, UserTurn.newBuilder().setSessionId(session).setTurnId(session + "#" + index)
        .setTurnIndex(index).setTranscript(words).setSpeechStartedAt(now).setSpeechStoppedAt(now)
        .setTranscribedAt(now).build());
  }

  private List<AgentTurn> turns() {
    return replies.stream().filter(r -> r.getEvent() instanceof AgentTurn).map(r -> (AgentTurn) r.getEvent()).toList();
  }

  @Test
  void aToolTheModelAsksForIsCalledThroughTheRunnerAndTheTurnGoesOnWithItsResult() {
    versions.put(1, WITH_ORDERS);
    nextCall = orderCall();
    runnerResults.put("s1#1#1", result("s1#1#1", dev.parley.events.ToolOutcome.OK, "{\"status\":\"shipped\"}"));
    script.add(answer("Your order has shipped.", false));
    answerer.handle("s1", line("s1", 1, "where is order 4417?"));

    assertThat(toolCalls).singleElement().satisfies(call -> {
      assertThat(call.getCallId()).as("the idempotency key: turn id and call number").isEqualTo("s1#1#1");
      assertThat(call.getTool()).isEqualTo("order_status");
      assertThat(call.getArguments()).isEqualTo("{\"order_id\":\"4417\"}");
      assertThat(call.getConfigVersion()).isEqualTo(1);
    });
    assertThat(prompts.get(prompts.size() - 1)).as("the model is told the tool's answer")
        .isEqualTo("{\"status\":\"shipped\"}");
    assertThat(replies.stream().filter(r -> r.getEvent() instanceof AgentReplyChunk)
        .map(r -> ((AgentReplyChunk) r.getEvent()).getText()).toList())
        .containsExactly("Let me check.", "One moment while I look that up.", "Your order has shipped.");
    assertThat(replies.stream().filter(r -> r.getEvent() instanceof AgentReplyChunk)
        .map(r -> ((AgentReplyChunk) r.getEvent()).getChunkIndex()).toList()).containsExactly(0, 1, 2);
    AgentTurn turn = turns().get(0);
    assertThat(turn.getSystemResponse())
        .isEqualTo("Let me check. One moment while I look that up. Your order has shipped.");
    assertThat(turn.getStructuredFields()).contains("\"issue_category\":\"account\"");
  }

  @Test
  void aTurnAnsweredAgainAfterACrashReusesTheRecordedResultInsteadOfCallingAgain() {
    versions.put(1, WITH_ORDERS);
    nextCall = orderCall();
    recordedResults.put("s2#1#1", result("s2#1#1", dev.parley.events.ToolOutcome.OK, "{\"status\":\"lost\"}"));
    script.add(answer("I'm sorry, it seems lost.", false));
    answerer.handle("s2", line("s2", 1, "where is order 4417?"));

    assertThat(toolCalls).as("not called twice").isEmpty();
    assertThat(prompts.get(prompts.size() - 1)).isEqualTo("{\"status\":\"lost\"}");
    assertThat(turns().get(0).getSystemResponse()).endsWith("I'm sorry, it seems lost.");
  }

  @Test
  void aToolThatFailsOrNeverAnswersIsToldToTheModelAndTheCallerStillHearsAnAnswer() {
    versions.put(1, WITH_ORDERS);
    nextCall = orderCall();
    script.add(answer("I can't look that up right now, sorry.", false));
    answerer.handle("s3", line("s3", 1, "where is order 4417?"));
    assertThat(toolCalls).hasSize(1);
    assertThat(prompts.get(prompts.size() - 1)).isEqualTo("error: TIMEOUT: the tool did not answer in time");
    assertThat(turns().get(0).getOutcome()).isEqualTo(TurnOutcome.OK);

    nextCall = orderCall();
    runnerResults.put("s3#2#1", result("s3#2#1", dev.parley.events.ToolOutcome.ERROR, "HTTP 503: down"));
    script.add(answer("Our order system is down, sorry.", false));
    answerer.handle("s3", line("s3", 2, "order 4417 please"));
    assertThat(prompts.get(prompts.size() - 1)).isEqualTo("error: ERROR: HTTP 503: down");
    assertThat(turns().get(1).getSystemResponse()).endsWith("Our order system is down, sorry.");
  }

  @Test
  void withoutAToolRunnerTheCallIsNotMadeAndTheModelIsToldAtOnce() {
    versions.put(1, WITH_ORDERS);
    runnerUp = false;
    nextCall = orderCall();
    script.add(answer("I can't check orders right now.", false));
    answerer.handle("s4", line("s4", 1, "where is order 4417?"));
    assertThat(toolCalls).as("not left on the topic for a runner started later").isEmpty();
    assertThat(prompts.get(prompts.size() - 1)).isEqualTo(TurnAnswerer.NO_RUNNER);
    assertThat(turns().get(0).getSystemResponse()).endsWith("I can't check orders right now.");
  }

  @Test
  void anAnswerThatPassesTheCallerOnSaysSoRecordsTheHandoffAndForgetsTheSession() {
    versions.put(1, withHandoff("sales"));
    script.add(answerPassingTo("Pricing is something our sales team handles.", "sales"));
    answerer.handle("h1", line("h1", 1, "how much is it for a team of 20?"));

    assertThat(replies.stream().filter(r -> r.getEvent() instanceof AgentReplyChunk)
        .map(r -> ((AgentReplyChunk) r.getEvent()).getText()).toList()).as("the passing line is said last")
        .containsExactly("Pricing is something our sales team handles.", "One moment, I'm passing you to sales.");
    assertThat(turns().get(0).getSystemResponse())
        .isEqualTo("Pricing is something our sales team handles. One moment, I'm passing you to sales.");
    assertThat(turns().get(0).getStructuredFields()).contains("\"handoff_to\":\"sales\"");
    assertThat(handoffs).singleElement().satisfies(h -> {
      assertThat(h.getSessionId()).isEqualTo("h1");
      assertThat(h.getTurnId()).isEqualTo("h1#1");
      assertThat(h.getFromAgentId()).isEqualTo(AGENT);
      assertThat(h.getToAgentId()).isEqualTo("sales");
      assertThat(h.getUserTranscript()).isEqualTo("how much is it for a team of 20?");
    });
    // the session is no longer this agent's: a session end it hears of by mistake gets no summary from it
    answerer.handle("h1", routed("h1", SessionEnded.newBuilder().setSessionId("h1").setReason("caller_left")
        .setEndedAt(Instant.now()).build()));
    assertThat(summaries).isEmpty();
  }

  @Test
  void noHandoffWhenTheAnswerKeepsTheCallerOrNamesAnAgentNotListed() {
    versions.put(1, withHandoff("sales"));
    script.add(answerPassingTo("Let's reset your password.", "none"));
    answerer.handle("h2", line("h2", 1, "my login is broken"));
    script.add(answerPassingTo("Sure.", "billing"));
    answerer.handle("h2", line("h2", 2, "and my bill?"));
    assertThat(handoffs).isEmpty();
    assertThat(turns()).extracting(AgentTurn::getSystemResponse).containsExactly("Let's reset your password.", "Sure.");
  }

  @Test
  void aCallerIsNotPassedToAnAgentNobodyServesAndIsToldSo() {
    versions.put(1, withHandoff("sales"));
    unserved.add("sales");
    script.add(answerPassingTo("Pricing is something our sales team handles.", "sales"));
    answerer.handle("h3", line("h3", 1, "how much is it for a team of 20?"));

    assertThat(handoffs).as("no hand-off to an agent no processor serves").isEmpty();
    AgentTurn turn = turns().get(0);
    assertThat(turn.getSystemResponse()).isEqualTo("Pricing is something our sales team handles. I'm sorry, nobody"
        + " from sales can take your call right now, so I'll stay with you.");
    assertThat(turn.getFallbackReason()).contains("hand-off to sales not made");
    // the caller stays: the next line is answered here, in context
    script.add(answerPassingTo("Our plans start at 15 dollars a seat.", "none"));
    answerer.handle("h3", line("h3", 2, "ok, can you tell me anything?"));
    assertThat(turns()).hasSize(2);
    assertThat(prompts.get(prompts.size() - 1)).contains("ok, can you tell me anything?");
  }

  @Test
  void aReplyThatAlreadySaysItIsPassingTheCallerOnIsNotFollowedByASecondLine() {
    assertThat(TurnAnswerer.passingLine(withHandoff("sales"), "sales", "Sure, let me transfer you to our Sales team."))
        .isNull();
    assertThat(TurnAnswerer.passingLine(withHandoff("sales"), "sales", "Sales can help.")).isNotNull();
    assertThat(TurnAnswerer.passingLine(withHandoff("order-desk"), "order-desk", "OK."))
        .isEqualTo("One moment, I'm passing you to order desk.");
    assertThat(TurnAnswerer.spokenName("sales-agent-v1")).isEqualTo("sales");
    assertThat(TurnAnswerer.spokenName("pte-interview-agent-v2")).isEqualTo("pte interview");
    assertThat(TurnAnswerer.spokenName("agent-v1")).isEqualTo("agent-v1");
  }

  @Test
  void theAgentACallerIsPassedToReadsTheConversationAndAnswersWhatTheyAskedAsItsFirstWords() {
    Instant now = Instant.now();
    AgentTurn greeting = AgentTurn.newBuilder(turnOf("p1#greeting", "", "Hi, this is support.", now)).build();
    AgentTurn first = turnOf("p1#1", "my login is broken", "Try resetting your password.", now);
    AgentTurn passing = turnOf("p1#2", "how much is it for a team of 20?",
        "One moment, I'm passing you to sales.", now);
    earlierTurns = List.of(greeting, first, passing);
    script.add(answer("For a team of 20 the business plan fits best.", false));
    answerer.handle("p1", routed("p1", SessionStarted.newBuilder().setSessionId("p1").setRoomName("room-p1")
        .setParticipantIdentity("caller").setStartedAt(now).setParticipantAttributes(Map.of(
            dev.parley.schemas.Handoffs.FROM_ATTRIBUTE, "support",
            dev.parley.schemas.Handoffs.TURN_ATTRIBUTE, "p1#2",
            dev.parley.schemas.Handoffs.REQUEST_ATTRIBUTE, "how much is it for a team of 20?")).build()));

    assertThat(turns()).as("no greeting of a new caller: the request is answered").singleElement().satisfies(t -> {
      assertThat(t.getTurnId()).isEqualTo("p1#handoff-2");
      assertThat(t.getUserTranscript()).isEqualTo("how much is it for a team of 20?");
      assertThat(t.getSystemResponse()).isEqualTo("For a team of 20 the business plan fits best.");
    });
    assertThat(prompts.get(prompts.size() - 1)).contains("how much is it for a team of 20?");

    // the next line is answered with the whole conversation, the earlier agent's part included
    script.add(answer("It is 30 dollars a seat.", false));
    answerer.handle("p1", line("p1", 3, "what does it cost per seat?"));
    assertThat(turns()).extracting(AgentTurn::getTurnId).containsExactly("p1#handoff-2", "p1#3");
    // and a redelivered start picks nothing up twice
    answerer.handle("p1", routed("p1", SessionStarted.newBuilder().setSessionId("p1").setRoomName("room-p1")
        .setParticipantIdentity("caller").setStartedAt(now).setParticipantAttributes(Map.of(
            dev.parley.schemas.Handoffs.FROM_ATTRIBUTE, "support",
            dev.parley.schemas.Handoffs.TURN_ATTRIBUTE, "p1#2",
            dev.parley.schemas.Handoffs.REQUEST_ATTRIBUTE, "how much is it for a team of 20?")).build()));
    assertThat(turns()).hasSize(2);
    // the summary covers the calls's whole conversation
    script.add(answer("Login help from support, then pricing for 20 seats.", false));
    answerer.handle("p1", routed("p1", SessionEnded.newBuilder().setSessionId("p1").setReason("caller_left")
        .setEndedAt(Instant.now()).build()));
    assertThat(summaries).singleElement().satisfies(s -> assertThat(s.getUserTurns()).isEqualTo(3));
  }

  private static AgentTurn turnOf(String turnId, String user, String spoken, Instant at) {
    return TurnRecords.turn("support", TurnId.parse(turnId).sessionId(), turnId, routed("x", SessionStarted
        .newBuilder().setSessionId("x").setRoomName("r").setParticipantIdentity("c").setStartedAt(at).build()), user,
        new TurnResponder.Answer(spoken, dev.parley.agentconfig.AgentConfigJson.MAPPER.createObjectNode(),
            TurnOutcome.OK, null, null, 0, 1), 1_000_000, null);
  }

  @Test
  void aSessionIsGreetedAnsweredInContextAndSummarized() {
    answerer.handle("s1", started("s1"));
    script.add(answer("I'm sorry you can't log in. What happens when you try?", false));
    answerer.handle("s1", line("s1", 1, "my account login isn't working"));
    script.add(answer("The caller cannot log in; it is still open.", false));
    answerer.handle("s1", routed("s1", SessionEnded.newBuilder().setSessionId("s1").setReason("caller_left")
        .setEndedAt(Instant.now()).build()));

    assertThat(turns()).extracting(AgentTurn::getTurnId).containsExactly("s1#greeting", "s1#1");
    assertThat(turns().get(0).getSystemResponse()).isEqualTo(SUPPORT.promptConfig().greeting());
    AgentTurn answered = turns().get(1);
    assertThat(answered.getSystemResponse()).startsWith("I'm sorry you can't log in");
    assertThat(answered.getOutcome()).isEqualTo(TurnOutcome.OK);
    assertThat(answered.getUserTranscript()).isEqualTo("my account login isn't working");
    assertThat(answered.getStructuredFields()).contains("\"issue_category\":\"account\"");
    assertThat(replies.stream().filter(r -> r.getEvent() instanceof AgentReplyChunk c && c.getTurnId().equals("s1#1")))
        .as("the answer is spoken in chunks before the final turn").isNotEmpty();
    assertThat(String.join("\n", prompts)).contains("my account login isn't working");

    assertThat(summaries).singleElement().satisfies(s -> {
      assertThat(s.getSummary()).isEqualTo("The caller cannot log in; it is still open.");
      assertThat(s.getUserTurns()).isEqualTo(1);
      assertThat(s.getFinalFields()).contains("\"issue_category\":\"account\"");
      assertThat(s.getEndReason()).isEqualTo("caller_left");
    });
  }

  @Test
  void aRedeliveredTurnIsAnsweredOnceAndAnEscalationSentOncePerSession() {
    script.add(answer("Let me get a person for you.", true));
    answerer.handle("s2", line("s2", 1, "I want a refund now"));
    answerer.handle("s2", line("s2", 1, "I want a refund now"));
    script.add(answer("Someone is on the way.", true));
    answerer.handle("s2", line("s2", 2, "hello?"));

    assertThat(turns()).extracting(AgentTurn::getTurnId).containsExactly("s2#1", "s2#2");
    assertThat(escalations).singleElement().satisfies(e -> {
      assertThat(e.getField()).isEqualTo("escalation_needed");
      assertThat(e.getTurnId()).isEqualTo("s2#1");
    });
  }

  @Test
  void withoutItsConfigTheCallerHearsAnApologyNotSilence() {
    versions.clear();
    answerer.handle("s3", line("s3", 1, "hello"));

    assertThat(turns()).singleElement().satisfies(t -> {
      assertThat(t.getSystemResponse()).isEqualTo(TurnResponder.APOLOGY);
      assertThat(t.getOutcome()).isEqualTo(TurnOutcome.FALLBACK);
      assertThat(t.getFallbackReason()).contains("no config for agent " + AGENT);
    });
    assertThat(prompts).as("the model is not asked").isEmpty();
  }

  @Test
  void aTurnTheFormerHolderFinishedIsNotPublishedTwice() {
    finishedElsewhere = true;
    script.add(answer("Sure.", false));
    answerer.handle("s4", line("s4", 1, "hi"));

    assertThat(turns()).isEmpty();
  }
}
