package dev.parley.egress;

import dev.parley.speech.Pcm;

/** Where a sentence heard in part before a crash starts again when another instance speaks it. */
final class ResumeCut {
  private ResumeCut() {}

  /**
   * Where to start the sentence {@code text} again, whose audio was heard to {@code heardMs}: at the start of the word
   * the caller was hearing, so no word is cut in two and only the word in progress is heard again. Speech has no
   * gaps between the words of a phrase (and a stop consonant is as quiet as a word boundary), so the word is first
   * placed by its share of the sentence's letters over the voiced part of the audio, then its start is put at the
   * quietest 10 ms near that estimate, not after {@code heardMs}. In milliseconds of the 48 kHz audio.
   */
  static int at(short[] samples, int heardMs, String text) {
    int lengthMs = samples.length / 48;
    if (heardMs <= 0) {
      return 0;
    }
    if (heardMs >= lengthMs) {
      return lengthMs;
    }
    int voicedFrom = 0;
    int voicedTo = lengthMs;
    while (voicedFrom + 10 < lengthMs && rms(samples, voicedFrom) < VOICED_RMS) {
      voicedFrom += 10;
    }
    while (voicedTo - 10 > voicedFrom && rms(samples, voicedTo - 10) < VOICED_RMS) {
      voicedTo -= 10;
    }
    if (heardMs <= voicedFrom) {
      return 0;
    }
    String[] words = text.strip().split("\\s+");
    int letters = text.strip().replaceAll("\\s+", " ").length();
    double msPerLetter = (voicedTo - voicedFrom) / (double) Math.max(1, letters);
    int estimate = voicedFrom;
    int at = 0;
    for (String word : words) {
      int start = voicedFrom + (int) (at * msPerLetter);
      if (start > heardMs) {
        break;
      }
      estimate = start;
      at += word.length() + 1;
    }
    int best = Math.min(estimate, heardMs);
    double quietest = Double.MAX_VALUE;
    for (int start = Math.min(heardMs - 10, estimate + 100); start >= Math.max(0, estimate - 150); start -= 10) {
      double level = rms(samples, start);
      if (level < quietest - 1e-9) {
        quietest = level;
        best = start;
      }
    }
    return Math.max(0, best);
  }

  /** Below this a 10 ms frame is not speech. */
  private static final double VOICED_RMS = 300;

  private static double rms(short[] samples, int fromMs) {
    int from = Math.min(samples.length, fromMs * 48);
    return Pcm.rms(java.util.Arrays.copyOfRange(samples, from, Math.min(samples.length, from + 480)));
  }
}
