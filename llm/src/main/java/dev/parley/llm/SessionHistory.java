package dev.parley.llm;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * A session's conversation so far, as alternating user and agent messages, bounded by a number of
 * exchanges and a character budget (about four characters per token): the oldest exchanges go first.
 */
public final class SessionHistory {
  /** One user turn and what the agent answered. */
  public record Exchange(String turnId, String user, String agent) {}

  private final Deque<Exchange> exchanges = new ArrayDeque<>();
  private final int maxExchanges;
  private final int maxChars;
  private int chars;

  public SessionHistory(int maxExchanges, int maxChars) {
    this.maxExchanges = maxExchanges;
    this.maxChars = maxChars;
  }

  /**
   * Adds an exchange; one whose turn is already here is ignored (a rebalance replays the replies
   * topic over a history this instance may still hold).
   */
  public synchronized void add(Exchange exchange) {
    if (answered(exchange.turnId())) {
      return;
    }
    exchanges.addLast(exchange);
    chars += size(exchange);
    while (exchanges.size() > maxExchanges || (chars > maxChars && exchanges.size() > 1)) {
      chars -= size(exchanges.removeFirst());
    }
  }

  public synchronized List<Exchange> exchanges() {
    return List.copyOf(exchanges);
  }

  public synchronized boolean answered(String turnId) {
    return exchanges.stream().anyMatch(e -> e.turnId().equals(turnId));
  }

  private static int size(Exchange exchange) {
    return exchange.user().length() + exchange.agent().length();
  }
}
