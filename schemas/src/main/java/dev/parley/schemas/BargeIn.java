package dev.parley.schemas;

import java.nio.charset.StandardCharsets;

/**
 * The caller started speaking: ingress-worker's listener says so to the agent's voice over the room's data channel as
 * well as on Kafka ({@code UserSpeechStarted}), so the voice stops talking without waiting for a produce and a poll.
 * The payload is the session id and when the speech began: {@code <session>@<epoch ms>}.
 */
public final class BargeIn {
  public static final String TOPIC = "parley-barge-in";

  private BargeIn() {}

  public static byte[] payload(String session, long startedAtMillis) {
    return (session + "@" + startedAtMillis).getBytes(StandardCharsets.UTF_8);
  }

  /** When the caller began speaking, from {@code payload}; -1 when it does not say. */
  public static long startedAt(byte[] payload) {
    String text = new String(payload, StandardCharsets.UTF_8);
    try {
      return Long.parseLong(text.substring(text.lastIndexOf('@') + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Whether {@code payload} says the caller of {@code session} started speaking. */
  public static boolean isFor(byte[] payload, String session) {
    String text = new String(payload, StandardCharsets.UTF_8);
    int at = text.lastIndexOf('@');
    return at > 0 && text.substring(0, at).equals(session);
  }
}
