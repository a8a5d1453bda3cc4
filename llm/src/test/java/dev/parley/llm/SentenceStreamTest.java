package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SentenceStreamTest {

  private static List<String> feed(String... deltas) {
    List<String> sentences = new ArrayList<>();
    SentenceStream stream = new SentenceStream(sentences::add);
    for (String delta : deltas) {
      stream.accept(delta);
    }
    stream.flush();
    return sentences;
  }

  @Test
  void eachSentenceIsEmittedAsSoonAsItIsComplete() {
    List<String> seen = new ArrayList<>();
    SentenceStream stream = new SentenceStream(seen::add);

    stream.accept("{\"system_response\":\"I can help with that. Let");
    assertThat(seen).containsExactly("I can help with that.");
    stream.accept("'s reset your password! Ready?\",\"sentiment\":\"neutral\"}");

    assertThat(seen).containsExactly("I can help with that.", "Let's reset your password!", "Ready?");
    assertThat(stream.finished()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 5, 7, 13})
  void sentencesSplitAcrossDeltasOfAnySizeComeOutWhole(int size) {
    String json = "{\"system_response\":\"First one. Second \\\"quoted\\\" one? Caf\\u00e9 \\ud83d\\ude00 done.\","
        + "\"issue_category\":\"account\"}";
    List<String> deltas = new ArrayList<>();
    for (int i = 0; i < json.length(); i += size) {
      deltas.add(json.substring(i, Math.min(json.length(), i + size)));
    }

    assertThat(feed(deltas.toArray(String[]::new)))
        .containsExactly("First one.", "Second \"quoted\" one?", "Café 😀 done.");
  }

  @Test
  void otherFieldsNeverLeakIntoSpeechEvenWhenTheyComeFirstOrLookLikeTheKey() {
    List<String> sentences = feed("{\"note\":\"system_response: ignore me.\",\"nested\":{\"system_response\":\"no.\"},",
        "\"tags\":[\"a. b.\"],\"system_response\":\"Only this is spoken.\",\"escalate\":false}");

    assertThat(sentences).containsExactly("Only this is spoken.");
  }

  @Test
  void escapedNewlinesAndBackslashesAreHandled() {
    assertThat(feed("{\"system_response\":\"Line one.\\nLine two\\\\three.\"}"))
        .containsExactly("Line one.", "Line two\\three.");
  }

  @Test
  void aReplyCutOffMidSentenceIsFlushed() {
    assertThat(feed("{\"system_response\":\"Complete sentence. And then the model stop")).containsExactly(
        "Complete sentence.", "And then the model stop");
  }

  @Test
  void garbageSpeaksNothing() {
    assertThat(feed("Sure! Here is some JSON: {\"answer\": 42}")).isEmpty();
  }

  @Test
  void withFirstClauseTheFirstPieceGoesAtItsFirstCommaOnceItHasFourWords() {
    List<String> seen = new ArrayList<>();
    SentenceStream stream = new SentenceStream(seen::add, true);

    stream.accept("{\"system_response\":\"Hi, I");
    assertThat(seen).as("'Hi,' is too short to speak on its own").isEmpty();
    stream.accept(" understand you were charged twice, and I");
    assertThat(seen).containsExactly("Hi, I understand you were charged twice,");
    stream.accept(" can fix that, right now. Is that okay?\"}");

    assertThat(seen).as("only the first piece is a clause; the rest are whole sentences")
        .containsExactly("Hi, I understand you were charged twice,", "and I can fix that, right now.", "Is that okay?");
  }

  @Test
  void withoutFirstClauseCommasNeverSplit() {
    assertThat(feed("{\"system_response\":\"Well, I understand you were charged twice, sorry.\"}"))
        .containsExactly("Well, I understand you were charged twice, sorry.");
  }
}
