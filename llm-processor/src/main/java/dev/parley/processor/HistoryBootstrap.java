package dev.parley.processor;

import dev.parley.events.AgentReply;
import dev.parley.events.AgentTurn;
import dev.parley.kit.TopicWindow;
import dev.parley.schemas.Topics;
import dev.parley.schemas.TurnId;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Rebuilds conversation history from the log when this instance takes over partitions: the agent's
 * finished turns of the last {@code lookback} on the same partitions of {@code parley.agent-replies.v1}
 * (replies are keyed by session like the agent topic, and both topics have the same partition
 * count, so a session's replies are on the partition with the same number). Turns found there
 * count as answered, so a redelivered turn is not answered twice.
 */
final class HistoryBootstrap {
  private final String bootstrapServers;
  private final Duration lookback;

  HistoryBootstrap(String bootstrapServers, Duration lookback) {
    this.bootstrapServers = bootstrapServers;
    this.lookback = lookback;
  }

  /** Calls {@code onTurn(session, turn)} for every turn of {@code agentId} on the given partition numbers. */
  int replay(String agentId, Collection<Integer> partitions, BiConsumer<String, AgentTurn> onTurn) {
    if (partitions.isEmpty()) {
      return 0;
    }
    int[] found = {0};
    turns(bootstrapServers, partitions, lookback, null, (session, turn) -> {
      if (turn.getAgentId().equals(agentId)) {
        onTurn.accept(session, turn);
        found[0]++;
      }
    });
    return found[0];
  }

  /**
   * Every agent's finished turns of {@code session} in the last {@code back}, oldest first, each once (its summary
   * left out): what an agent the session is handed to reads.
   */
  static List<AgentTurn> sessionTurns(String bootstrapServers, String session, Duration back) {
    Map<String, AgentTurn> turns = new LinkedHashMap<>();
    turns(bootstrapServers, List.of(Topics.partitionOf(session)), back, Duration.ofSeconds(5), (key, turn) -> {
      if (session.equals(key) && !turn.getTurnId().equals(TurnId.summary(session).toString())) {
        turns.putIfAbsent(turn.getTurnId(), turn);
      }
    });
    return List.copyOf(turns.values());
  }

  /** The finished turns on {@code partitions} of the replies topic in the last {@code back}; unreadable records skipped. */
  private static void turns(String bootstrapServers, Collection<Integer> partitions, Duration back, Duration maxTime,
      BiConsumer<String, AgentTurn> onTurn) {
    TopicWindow.read(bootstrapServers, Topics.AGENT_REPLIES.name(), partitions, back, maxTime, record -> {
      AgentReply reply;
      try {
        reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(record.topic(), record.value());
      } catch (RuntimeException unreadable) {
        return;
      }
      if (reply != null && reply.getEvent() instanceof AgentTurn turn) {
        onTurn.accept(record.key(), turn);
      }
    });
  }
}
