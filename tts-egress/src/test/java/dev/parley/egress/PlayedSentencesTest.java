package dev.parley.egress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a caller is owed and where a voice is, from the sentences queued and the audio played. */
class PlayedSentencesTest {
  private final PlayedSentences sentences = new PlayedSentences();

  private void queue(long offset, String text, int ms) {
    sentences.owe(offset);
    sentences.queue(text, ms, offset, 0);
  }

  @Test
  void commitsStopAtTheFirstSentenceNotPlayedToItsEnd() {
    sentences.newTurn();
    queue(10, "I can help with that.", 1000);
    queue(11, "First open the settings.", 1500);
    assertThat(sentences.firstOwed()).isEqualTo(10);

    sentences.settle(1200);
    assertThat(sentences.firstOwed()).as("the first sentence played out").isEqualTo(11);
    assertThat(sentences.position(true, 1200)).isEqualTo(new PlayedSentences.Position(11, 200, false));

    sentences.settle(2500);
    assertThat(sentences.firstOwed()).isEqualTo(Long.MAX_VALUE);
    assertThat(sentences.position(true, 2500)).as("all played: at the end of the last")
        .isEqualTo(new PlayedSentences.Position(11, 1500, true));
    assertThat(sentences.heard(2500).heard()).isEqualTo("I can help with that. First open the settings.");
  }

  @Test
  void aBargeInForgivesWhatWasQueuedAndANewTurnStartsAfresh() {
    sentences.newTurn();
    queue(20, "One.", 500);
    queue(21, "Two.", 500);
    sentences.settle(100);
    sentences.dropQueued();
    assertThat(sentences.firstOwed()).isEqualTo(Long.MAX_VALUE);

    sentences.newTurn();
    queue(30, "Three.", 800);
    assertThat(sentences.queuedMs()).isEqualTo(800);
    assertThat(sentences.firstOwed()).isEqualTo(30);
  }

  @Test
  void aSessionTakenOverStartsFromWhereTheOtherInstancePlayed() {
    sentences.playedElsewhere(41);
    assertThat(sentences.position(false, 0)).isEqualTo(new PlayedSentences.Position(41, 0, true));
  }
}
