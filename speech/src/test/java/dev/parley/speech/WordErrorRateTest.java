package dev.parley.speech;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Word error rate counts what a listener would call a different word, not a different way to write it. */
class WordErrorRateTest {
  @Test
  void writingVariantsAreTheSameWords() {
    assertThat(WordErrorRate.of("We're a team of twenty-five.", "we are a team of 25").edits()).isZero();
    assertThat(WordErrorRate.of("I'm sure it isn't, and I can't.", "I am sure it is not and I cannot").edits()).isZero();
    assertThat(WordErrorRate.of("Okay, we'll see; they've won't.", "OK we will see they have will not").edits()).isZero();
    assertThat(WordErrorRate.of("Save 15% & more", "save fifteen percent and more").edits()).isZero();
  }

  @Test
  void differentWordsAreCountedOnceEach() {
    WordErrorRate.Errors errors = WordErrorRate.of("My account login isn't working.", "My account london is working");
    assertThat(errors.words()).isEqualTo(6); // my account login is not working
    assertThat(errors.edits()).isEqualTo(2); // login → london, not deleted
    assertThat(WordErrorRate.of("Were a team", "We're a team").edits()).isEqualTo(2); // were → we are
    assertThat(WordErrorRate.of("", "").rate()).isZero();
    assertThat(WordErrorRate.of("", "noise").rate()).isEqualTo(1.0);
  }
}
