package dev.parley.egress;

import java.util.ArrayList;
import java.util.List;

/**
 * What the caller heard of a turn's sentences after {@code playedMs} of their audio: whole sentences,
 * then the words of the sentence in progress in proportion to its audio played (speech runs at a
 * nearly even pace), and what was not heard.
 */
record Heard(String heard, String unheard, int sentencesStarted) {
  static Heard of(List<String> sentences, List<Integer> millis, int playedMs) {
    List<String> heard = new ArrayList<>();
    List<String> unheard = new ArrayList<>();
    int started = 0;
    int at = 0;
    for (int i = 0; i < sentences.size(); i++) {
      int length = millis.get(i);
      String sentence = sentences.get(i);
      if (at + length <= playedMs) {
        heard.add(sentence);
        started++;
      } else if (at < playedMs) {
        String[] words = sentence.split(" ");
        int n = (int) Math.round(words.length * (playedMs - at) / (double) length);
        heard.add(String.join(" ", java.util.Arrays.copyOfRange(words, 0, n)));
        unheard.add(String.join(" ", java.util.Arrays.copyOfRange(words, n, words.length)));
        started++;
      } else {
        unheard.add(sentence);
      }
      at += length;
    }
    heard.removeIf(String::isEmpty);
    unheard.removeIf(String::isEmpty);
    return new Heard(String.join(" ", heard), String.join(" ", unheard), started);
  }
}
