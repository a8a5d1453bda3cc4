package dev.parley.egress;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A session's reply sentences against its audio: the sentences of the turn playing (text, audio length, replies
 * offset, where their audio was cut in), the offsets taken in and not yet played to their end (what the caller is
 * still owed, and where commits stop), and the last one played to its end. Not thread-safe: its {@link VoiceSession}
 * holds its own lock around every call; {@code playedMs} is how much of the playing turn's audio has played out.
 */
final class PlayedSentences {
  /** Where a voice is: the sentence at {@code offset} played {@code ms} far (to its end when {@code done}). */
  record Position(long offset, long ms, boolean done) {}

  private final List<String> texts = new ArrayList<>();
  private final List<Integer> millis = new ArrayList<>();
  private final List<Long> offsets = new ArrayList<>();
  private final List<Integer> fromMs = new ArrayList<>();
  private final TreeSet<Long> owed = new TreeSet<>();
  private long lastPlayedOffset = -1;
  private long lastPlayedMs;

  /** The sentence at {@code offset} is taken in: the caller is owed it until it has played to its end. */
  void owe(long offset) {
    owed.add(offset);
  }

  /** The sentence at {@code offset} will never be spoken (its turn was cut off). */
  void forgive(long offset) {
    owed.remove(offset);
  }

  /** Another instance played the replies up to {@code offset}. */
  void playedElsewhere(long offset) {
    lastPlayedOffset = offset;
  }

  /** A new turn starts playing: the sentences of the one before are forgotten. */
  void newTurn() {
    texts.clear();
    millis.clear();
    offsets.clear();
    fromMs.clear();
  }

  /** A sentence of the playing turn is queued: {@code ms} of audio, cut in at {@code cutMs} of its whole audio. */
  void queue(String text, int ms, long offset, int cutMs) {
    texts.add(text);
    millis.add(ms);
    offsets.add(offset);
    fromMs.add(cutMs);
  }

  /** The playing turn's queued audio, in ms. */
  int queuedMs() {
    return millis.stream().mapToInt(Integer::intValue).sum();
  }

  /** The sentences whose audio has all played out are no longer owed; the last of them is the last played. */
  void settle(int playedMs) {
    int at = 0;
    for (int i = 0; i < millis.size(); i++) {
      int length = millis.get(i);
      if (at + length <= playedMs) {
        long offset = offsets.get(i);
        owed.remove(offset);
        if (offset > lastPlayedOffset) {
          lastPlayedOffset = offset;
          lastPlayedMs = fromMs.get(i) + length;
        }
      }
      at += length;
    }
  }

  /** The barge-in dropped what was queued: none of it is owed any more. */
  void dropQueued() {
    offsets.forEach(owed::remove);
  }

  /** The lowest replies offset still owed (Long.MAX_VALUE when none). */
  long firstOwed() {
    return owed.isEmpty() ? Long.MAX_VALUE : owed.first();
  }

  /** What the caller heard of the playing turn after {@code playedMs} of its audio. */
  Heard heard(int playedMs) {
    return Heard.of(texts, millis, playedMs);
  }

  /** Where the voice is: in the sentence playing (when a turn plays), else at the end of the last one played. */
  Position position(boolean playing, int playedMs) {
    if (playing) {
      int at = 0;
      for (int i = 0; i < millis.size(); i++) {
        int length = millis.get(i);
        if (playedMs < at + length) {
          return new Position(offsets.get(i), fromMs.get(i) + (long) (playedMs - at), false);
        }
        at += length;
      }
    }
    return new Position(lastPlayedOffset, lastPlayedMs, true);
  }
}
