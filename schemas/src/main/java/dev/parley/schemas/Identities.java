package dev.parley.schemas;

/**
 * Parley's participant identities in a LiveKit room. Every agent participant starts with {@code agent-}: the listener
 * a job puts in the room ({@code agent-<job id>}) and the voice tts-egress joins with ({@code agent-voice-<session>},
 * a standby {@code agent-voice-<session>-<suffix>}). Anyone else is a caller.
 */
public final class Identities {
  public static final String AGENT_PREFIX = "agent-";
  private static final String VOICE_PREFIX = AGENT_PREFIX + "voice-";

  private Identities() {}

  /** The listener of LiveKit job {@code jobId}. */
  public static String listener(String jobId) {
    return AGENT_PREFIX + jobId;
  }

  /** The agent's voice in {@code session}'s room. */
  public static String voice(String session) {
    return VOICE_PREFIX + session;
  }

  /** A second voice for {@code session} (a standby that takes over), told apart by {@code suffix}. */
  public static String voice(String session, String suffix) {
    return voice(session) + "-" + suffix;
  }

  /** Any of Parley's agent participants. */
  public static boolean isAgent(String identity) {
    return identity.startsWith(AGENT_PREFIX);
  }

  /** An agent's voice (tts-egress). */
  public static boolean isVoice(String identity) {
    return identity.startsWith(VOICE_PREFIX);
  }

  /** A listener (ingress-worker). */
  public static boolean isListener(String identity) {
    return isAgent(identity) && !isVoice(identity);
  }

  /** A caller: not one of Parley's agents. */
  public static boolean isCaller(String identity) {
    return !isAgent(identity);
  }
}
