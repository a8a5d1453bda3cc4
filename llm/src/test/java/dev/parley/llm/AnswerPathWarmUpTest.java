package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.events.TurnOutcome;
import org.junit.jupiter.api.Test;

class AnswerPathWarmUpTest {
  @Test
  void theWarmUpRunsAWholeAnswerThroughTheStreamingClientWithoutAnyProvider() {
    TurnResponder.Answer answer = AnswerPathWarmUp.run();
    // OK (not REPAIRED or FALLBACK): the canned reply streamed, was split into sentences and passed the schema
    assertThat(answer.outcome()).isEqualTo(TurnOutcome.OK);
    assertThat(answer.spoken()).isEqualTo("One moment. Let me check.");
    assertThat(answer.chunks()).isEqualTo(2);
    assertThat(answer.fields().path("issue_category").asText()).isEqualTo("other");
  }
}
