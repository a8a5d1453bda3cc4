package dev.parley.schemas;

/**
 * A turn's id, {@code <session>#<part>}: the caller's n-th line ({@code #3}), the agent's greeting
 * ({@code #greeting}) or the closing summary ({@code #summary}). Every stage writes and reads turn ids through this
 * type, so the format lives in one place; on the wire it stays the plain string.
 */
public record TurnId(String sessionId, String part) {
  private static final char SEPARATOR = '#';
  private static final String GREETING = "greeting";
  private static final String SUMMARY = "summary";

  public TurnId {
    if (sessionId == null || sessionId.isEmpty() || part == null || part.isEmpty()) {
      throw new IllegalArgumentException("a turn id needs a session id and a part, got " + sessionId + " / " + part);
    }
  }

  /** The caller's line number {@code index} in {@code session}. */
  public static TurnId line(String session, long index) {
    return new TurnId(session, Long.toString(index));
  }

  public static TurnId greeting(String session) {
    return new TurnId(session, GREETING);
  }

  public static TurnId summary(String session) {
    return new TurnId(session, SUMMARY);
  }

  /** Reads {@code <session>#<part>} (the part after the last '#'); throws on anything else. */
  public static TurnId parse(String turnId) {
    int at = turnId == null ? -1 : turnId.lastIndexOf(SEPARATOR);
    if (at <= 0 || at == turnId.length() - 1) {
      throw new IllegalArgumentException("not a turn id (<session>#<part>): " + turnId);
    }
    return new TurnId(turnId.substring(0, at), turnId.substring(at + 1));
  }

  /** Whether {@code turnId} is some session's greeting. */
  public static boolean isGreeting(String turnId) {
    return turnId != null && turnId.endsWith(SEPARATOR + GREETING);
  }

  /** The prefix every turn id of {@code session} starts with. */
  public static String prefixOf(String session) {
    return session + SEPARATOR;
  }

  /** A key for something per turn and sub-part (a chunk, a field): {@code <turn id>#<sub>}. */
  public String with(Object sub) {
    return this + String.valueOf(SEPARATOR) + sub;
  }

  @Override
  public String toString() {
    return sessionId + SEPARATOR + part;
  }
}
