package dev.parley.egress;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What the caller heard of a turn when the agent was cut off, from the audio actually played. */
class HeardTest {
  private static final List<String> SENTENCES = List.of("I can help with that.", "First open the settings page.",
      "Then choose reset password.");
  private static final List<Integer> MILLIS = List.of(1000, 2000, 1500);

  @Test
  void allOfItWhenPlayedToTheEnd() {
    assertEquals(new Heard("I can help with that. First open the settings page. Then choose reset"
        + " password.", "", 3), Heard.of(SENTENCES, MILLIS, 4500));
  }

  @Test
  void wholeSentencesThenTheWordsOfTheOneInProgress() {
    // 1000 ms for sentence one, then 1000 of sentence two's 2000 ms: half of its five words, rounded
    assertEquals(new Heard("I can help with that. First open the", "settings page. Then choose reset"
        + " password.", 2), Heard.of(SENTENCES, MILLIS, 2000));
  }

  @Test
  void nothingWhenCutOffAtOnce() {
    assertEquals(new Heard("", "I can help with that. First open the settings page. Then choose"
        + " reset password.", 0), Heard.of(SENTENCES, MILLIS, 0));
  }
}
