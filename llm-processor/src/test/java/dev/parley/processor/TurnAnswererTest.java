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

  private final LlmProvider model = new LlmProvider() {
    @Override
    public Completion complete(Request request, Consumer<String> onDelta) {
      prompts.add(request.messages().get(request.messages().size() - 1).content());
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
      });

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
