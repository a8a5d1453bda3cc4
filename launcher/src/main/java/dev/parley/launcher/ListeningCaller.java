package dev.parley.launcher;

import dev.parley.schemas.Identities;
import dev.parley.schemas.TurnId;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.livekit.RoomListener;
import dev.parley.speech.Pcm;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A caller's ears in a room: when the agent's voice is loud, and the {@code conversation-summary} data
 * messages (greeting, turns, summary). Used by {@code parley demo} and the conversation benchmark's voice
 * mode, which both speak as a caller and time what they hear.
 */
public final class ListeningCaller implements RoomListener {
  private final List<ObjectNode> messages = new CopyOnWriteArrayList<>();
  private final AtomicLong lastLoud = new AtomicLong();
  private final AtomicLong firstLoudAfter = new AtomicLong(-1);
  private volatile long after = Long.MAX_VALUE;
  private final java.util.function.Predicate<String> agent;

  /** A caller that hears Parley's agent voice (participants named agent-voice-...). */
  public ListeningCaller() {
    this(Identities::isVoice);
  }

  /** A caller that hears the participants {@code agent} accepts by identity (another framework's agent). */
  public ListeningCaller(java.util.function.Predicate<String> agent) {
    this.agent = agent;
  }

  @Override
  public void onData(String from, String topic, byte[] payload) {
    if (topic.equals("conversation-summary")) {
      try {
        JsonNode node = AgentConfigJson.MAPPER.readTree(new String(payload, StandardCharsets.UTF_8));
        if (node instanceof ObjectNode o) {
          messages.add(o);
        }
      } catch (java.io.IOException ignored) {
        // not a message of ours
      }
    }
  }

  @Override
  public void onAudio(String participant, String trackSid, byte[] pcm, int sampleRate, int channels) {
    if (agent.test(participant) && Pcm.rms(Pcm.samples(pcm)) > 300) {
      long now = System.currentTimeMillis();
      lastLoud.set(now);
      if (now > after) {
        firstLoudAfter.compareAndSet(-1, now);
      }
    }
  }

  /** How many of the caller's turns the agent has answered (its greeting aside). */
  public int turnsAnswered() {
    return (int) messages.stream().filter(m -> "agent_turn".equals(m.path("type").asText())
        && !TurnId.isGreeting(m.path("turn_id").asText())).count();
  }

  /** From now on, times the agent's first loud audio after {@code at} (epoch ms: when the caller stopped). */
  public void expectSpeechAfter(long at) {
    firstLoudAfter.set(-1);
    after = at;
  }

  /** The newest message {@code wanted} accepts, waiting up to {@code timeout}; null if none came. */
  public ObjectNode awaitMessage(java.util.function.Predicate<ObjectNode> wanted, Duration timeout)
      throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeout.toMillis();
    while (System.currentTimeMillis() < deadline) {
      for (int i = messages.size() - 1; i >= 0; i--) {
        if (wanted.test(messages.get(i))) {
          return messages.get(i);
        }
      }
      Thread.sleep(20);
    }
    return null;
  }

  /** When the agent's voice was first loud after the time given to {@link #expectSpeechAfter}; -1 if not within {@code timeout}. */
  public long awaitAgentAudio(Duration timeout) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeout.toMillis();
    while (firstLoudAfter.get() < 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(10);
    }
    return firstLoudAfter.get();
  }

  /** Waits for the agent's voice (up to 15 s), then until it has been silent for a second. */
  public void awaitQuiet(Duration timeout) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeout.toMillis();
    long heardBy = System.currentTimeMillis() + 15_000;
    while (lastLoud.get() == 0 && System.currentTimeMillis() < heardBy) {
      Thread.sleep(50);
    }
    while (System.currentTimeMillis() - lastLoud.get() < 1000 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
  }
}
