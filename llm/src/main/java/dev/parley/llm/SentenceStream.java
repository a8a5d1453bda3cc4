package dev.parley.llm;

import java.util.function.Consumer;

/**
 * Incremental reader of a streamed JSON reply that emits each complete sentence of the
 * {@code system_response} string as soon as the model has produced it. Feed it the raw deltas in
 * order; it handles keys and escapes split across deltas ({@code \"}, {@code \n}, {@code \\u00e9},
 * surrogate pairs) and ignores every other field. Not thread-safe: one instance per reply.
 */
public final class SentenceStream {
  private static final String KEY = "system_response";
  private final Consumer<String> onSentence;
  private final StringBuilder sentence = new StringBuilder();
  private final StringBuilder escape = new StringBuilder();
  private final StringBuilder lastKey = new StringBuilder();
  private State state = State.SEEKING;
  private int depth;
  private boolean inOtherString;
  private boolean otherEscape;
  private boolean expectingValue;
  private boolean done;
  private int emitted;
  private char pendingHighSurrogate;

  private enum State { SEEKING, IN_KEY, IN_VALUE, ESCAPE }

  private final boolean firstClause;

  SentenceStream(Consumer<String> onSentence) {
    this(onSentence, false);
  }

  /**
   * With {@code firstClause}, the reply's first piece is emitted at its first clause boundary (a comma,
   * semicolon, colon or dash after at least {@value #MIN_CLAUSE_WORDS} words), so speech can start before
   * the first sentence is complete; every later piece is a whole sentence.
   */
  SentenceStream(Consumer<String> onSentence, boolean firstClause) {
    this.onSentence = onSentence;
    this.firstClause = firstClause;
  }

  static final int MIN_CLAUSE_WORDS = 4;

  void accept(String delta) {
    for (int i = 0; i < delta.length(); i++) {
      step(delta.charAt(i));
    }
  }

  /** True once the whole system_response string has been read. */
  boolean finished() {
    return done;
  }

  int sentencesEmitted() {
    return emitted;
  }

  /** Emits whatever is left (a reply cut off mid-sentence); returns whether anything was emitted. */
  boolean flush() {
    return emit(true);
  }

  private void step(char c) {
    switch (state) {
      case SEEKING -> seek(c);
      case IN_KEY -> {
        if (c == '"') {
          state = State.SEEKING;
          expectingValue = depth == 1 && lastKey.toString().equals(KEY);
        } else {
          lastKey.append(c);
        }
      }
      case IN_VALUE -> {
        if (c == '\\') {
          state = State.ESCAPE;
          escape.setLength(0);
        } else if (c == '"') {
          state = State.SEEKING;
          done = true;
          emit(true);
        } else {
          append(c);
        }
      }
      case ESCAPE -> unescape(c);
      default -> throw new IllegalStateException();
    }
  }

  private void seek(char c) {
    if (inOtherString) {
      if (otherEscape) {
        otherEscape = false;
      } else if (c == '\\') {
        otherEscape = true;
      } else if (c == '"') {
        inOtherString = false;
      }
      return;
    }
    switch (c) {
      case '{', '[' -> depth++;
      case '}', ']' -> depth--;
      case '"' -> {
        if (expectingValue && !done) {
          state = State.IN_VALUE;
          expectingValue = false;
        } else if (isKeyPosition()) {
          state = State.IN_KEY;
          lastKey.setLength(0);
        } else {
          inOtherString = true;
        }
      }
      case ':' -> keyPosition = false;
      case ',' -> {
        keyPosition = true;
        expectingValue = false;
      }
      default -> { }
    }
    if (c == '{') {
      keyPosition = true;
    }
  }

  private boolean keyPosition;

  private boolean isKeyPosition() {
    return keyPosition;
  }

  private void unescape(char c) {
    if (escape.length() == 0 && c != 'u') {
      state = State.IN_VALUE;
      switch (c) {
        case 'n', 'r', 't' -> append(' ');
        case 'b', 'f' -> { }
        default -> append(c); // \" \\ \/
      }
      return;
    }
    escape.append(c);
    if (escape.length() == 5) { // u + 4 hex digits
      state = State.IN_VALUE;
      char decoded = (char) Integer.parseInt(escape.substring(1), 16);
      if (Character.isHighSurrogate(decoded)) {
        pendingHighSurrogate = decoded;
      } else if (Character.isLowSurrogate(decoded) && pendingHighSurrogate != 0) {
        append(pendingHighSurrogate);
        append(decoded);
        pendingHighSurrogate = 0;
      } else {
        append(decoded);
      }
    }
  }

  private void append(char c) {
    sentence.append(c);
    if (Character.isWhitespace(c) && sentence.length() >= 2) {
      char before = sentence.charAt(sentence.length() - 2);
      if (endsSentence(before) || (firstClause && emitted == 0 && endsClause(before) && words() >= MIN_CLAUSE_WORDS)) {
        emit(false);
      }
    }
  }

  private static boolean endsClause(char c) {
    return c == ',' || c == ';' || c == ':' || c == '\u2014';
  }

  private int words() {
    return sentence.toString().strip().split("\\s+").length;
  }

  private static boolean endsSentence(char c) {
    return c == '.' || c == '!' || c == '?' || c == '…';
  }

  private boolean emit(boolean force) {
    String text = sentence.toString().strip();
    if (text.isEmpty() || (!force && text.length() < 2)) {
      return false;
    }
    sentence.setLength(0);
    emitted++;
    onSentence.accept(text);
    return true;
  }
}
