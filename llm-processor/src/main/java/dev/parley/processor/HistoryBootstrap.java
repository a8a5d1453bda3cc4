package dev.parley.processor;

import dev.parley.events.AgentReply;
import dev.parley.events.AgentTurn;
import dev.parley.kit.TopicWindow;
import dev.parley.schemas.Topics;
import java.time.Duration;
import java.util.Collection;
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
    TopicWindow.read(bootstrapServers, Topics.AGENT_REPLIES.name(), partitions, lookback, null, record -> {
      AgentReply reply;
      try {
        reply = Topics.AGENT_REPLIES.valueSerde().deserializer().deserialize(record.topic(), record.value());
      } catch (RuntimeException unreadable) {
        return;
      }
      if (reply != null && reply.getEvent() instanceof AgentTurn turn && turn.getAgentId().equals(agentId)) {
        onTurn.accept(record.key(), turn);
        found[0]++;
      }
    });
    return found[0];
  }
}
