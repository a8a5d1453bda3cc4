package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.agentconfig.StructuredOutputSchema;
import dev.parley.events.TurnOutcome;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The responder's decisions with a scripted provider standing in for the paid API (the component
 * under test is the responder; the real provider is exercised in the integration test).
 */
class TurnResponderTest {
  private static final AgentConfig SUPPORT = SeedAgents.all().get(0).withDefaults()
      .withServerFields(1, "active", null, null);
  private static final String GOOD = "{\"system_response\":\"Sorry about that. Let's reset it.\","
      + "\"issue_category\":\"account\",\"sentiment\":\"negative\",\"priority\":3,\"issue_resolved\":false,"
      + "\"escalation_needed\":false}";

  private final List<String> spoken = new ArrayList<>();
  private final List<LlmProvider.Request> requests = new ArrayList<>();

  private TurnResponder responder(Object... replies) {
    Deque<Object> script = new ArrayDeque<>(List.of(replies));
    LlmProvider provider = new LlmProvider() {
      @Override
      public Completion complete(Request request, Consumer<String> onDelta) {
        requests.add(request);
        Object next = script.removeFirst();
        if (next instanceof RuntimeException e) {
          throw e;
        }
        String text = (String) next;
        for (int i = 0; i < text.length(); i += 4) {
          onDelta.accept(text.substring(i, Math.min(text.length(), i + 4)));
        }
        return new Completion(text, 100, 40, 1_000_000, "scripted");
      }

      @Override
      public String name() {
        return "scripted";
      }
    };
    return new TurnResponder(provider, new CircuitBreaker(2, Duration.ofMinutes(1), Clock.systemUTC()));
  }

  private TurnResponder.Answer ask(TurnResponder responder) {
    return responder.answer(SUPPORT, List.of(new SessionHistory.Exchange("t0", "Hi", "Hello, how can I help?")),
        "My login isn't working", (i, text) -> spoken.add(i + ":" + text));
  }

  @Test
  void aValidReplyIsSpokenSentenceBySentenceAndItsFieldsKept() {
    TurnResponder.Answer answer = ask(responder(GOOD));

    assertThat(spoken).containsExactly("0:Sorry about that.", "1:Let's reset it.");
    assertThat(answer.outcome()).isEqualTo(TurnOutcome.OK);
    assertThat(answer.fields().get("issue_category").asText()).isEqualTo("account");
    assertThat(answer.fields().has("system_response")).isFalse();
    assertThat(answer.spoken()).isEqualTo("Sorry about that. Let's reset it.");
    assertThat(requests.get(0).schema()).isEqualTo(StructuredOutputSchema.build(SUPPORT.schemaConfig()));
    assertThat(requests.get(0).messages()).extracting(LlmProvider.Message::role)
        .containsExactly("system", "user", "assistant", "user");
  }

  @Test
  void aReplyThatBreaksTheSchemaGetsOneRepairAndKeepsWhatWasAlreadySpoken() {
    String broken = GOOD.replace("\"priority\":3", "\"priority\":9");
    String repaired = GOOD.replace("Sorry about that. Let's reset it.", "A different wording.");

    TurnResponder.Answer answer = ask(responder(broken, repaired));

    assertThat(answer.outcome()).isEqualTo(TurnOutcome.REPAIRED);
    assertThat(answer.fields().get("priority").asInt()).isEqualTo(3);
    assertThat(spoken).containsExactly("0:Sorry about that.", "1:Let's reset it.");
    assertThat(answer.spoken()).as("the record says what the caller heard").isEqualTo("Sorry about that. Let's reset it.");
    assertThat(requests.get(1).messages().get(requests.get(1).messages().size() - 1).content())
        .contains("did not match").contains("priority");
  }

  @Test
  void aFailedRepairFallsBackSafelyAndSaysWhy() {
    String broken = GOOD.replace("\"sentiment\":\"negative\",", "");

    TurnResponder.Answer answer = ask(responder(broken, broken));

    assertThat(answer.outcome()).isEqualTo(TurnOutcome.FALLBACK);
    assertThat(answer.fields()).isEmpty();
    assertThat(answer.fallbackReason()).contains("schema after repair").contains("sentiment");
  }

  @Test
  void garbageFromTheModelIsNeverSpokenTheCallerHearsAnApology() {
    TurnResponder.Answer answer = ask(responder("I am not JSON at all.", "still not JSON"));

    assertThat(spoken).containsExactly("0:" + TurnResponder.APOLOGY);
    assertThat(answer.outcome()).isEqualTo(TurnOutcome.FALLBACK);
  }

  @Test
  void anOutageYieldsASpokenApologyAndOpensTheCircuit() {
    TurnResponder responder = responder(new LlmProvider.LlmException("connect timed out", null),
        new LlmProvider.LlmException("connect timed out", null));

    TurnResponder.Answer first = ask(responder);
    ask(responder);
    TurnResponder.Answer third = ask(responder);

    assertThat(first.outcome()).isEqualTo(TurnOutcome.FALLBACK);
    assertThat(first.fallbackReason()).contains("connect timed out");
    assertThat(spoken).allMatch(s -> s.endsWith(TurnResponder.APOLOGY));
    assertThat(third.fallbackReason()).contains("circuit open");
    assertThat(requests).as("no call while the circuit is open").hasSize(2);
  }

  @Test
  void aSummaryIsTheConversationsOwnPromptAskedInTheBackgroundAndOnlyItsTextCounts() {
    TurnResponder responder = responder("{\"system_response\":\"The caller could not log in; a reset was sent.\"}",
        "{\"issue_category\":\"account\"}");
    List<SessionHistory.Exchange> history = List.of(new SessionHistory.Exchange("t0", "My login fails", "Let's reset it."));

    TurnResponder.Answer summary = responder.summarize(SUPPORT, history, "Summarize the call.");

    assertThat(summary.outcome()).as("fields may be left out of a summary").isEqualTo(TurnOutcome.OK);
    assertThat(summary.spoken()).isEqualTo("The caller could not log in; a reset was sent.");
    assertThat(requests.get(0).background()).isTrue();
    assertThat(requests.get(0).messages().get(0)).as("the same system prompt as the turns: a prompt cache reuses it")
        .isEqualTo(TurnResponder.messages(SUPPORT, history, "x").get(0));
    assertThat(requests.get(0).messages().get(requests.get(0).messages().size() - 1).content())
        .isEqualTo("Summarize the call.");

    TurnResponder.Answer empty = responder.summarize(SUPPORT, history, "Summarize the call.");
    assertThat(empty.outcome()).isEqualTo(TurnOutcome.FALLBACK);
    assertThat(empty.fallbackReason()).contains("no text");
  }
}
