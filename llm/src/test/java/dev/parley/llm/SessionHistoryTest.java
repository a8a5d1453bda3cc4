package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SessionHistoryTest {
  @Test
  void aTurnReplayedAfterARebalanceIsKeptOnce() {
    SessionHistory history = new SessionHistory(10, 10_000);
    history.add(new SessionHistory.Exchange("s#0", "hello", "hi"));
    history.add(new SessionHistory.Exchange("s#1", "help", "sure"));
    // the partition comes back to this instance: the replies topic is read back over what it holds
    history.add(new SessionHistory.Exchange("s#0", "hello", "hi"));
    history.add(new SessionHistory.Exchange("s#1", "help", "sure"));
    history.add(new SessionHistory.Exchange("s#2", "thanks", "bye"));

    assertThat(history.exchanges()).extracting(SessionHistory.Exchange::turnId).containsExactly("s#0", "s#1", "s#2");
  }

  @Test
  void theOldestExchangesGoFirstWhenTheHistoryIsFull() {
    SessionHistory history = new SessionHistory(2, 10_000);
    for (int i = 0; i < 4; i++) {
      history.add(new SessionHistory.Exchange("s#" + i, "u" + i, "a" + i));
    }
    assertThat(history.exchanges()).extracting(SessionHistory.Exchange::turnId).containsExactly("s#2", "s#3");
    SessionHistory small = new SessionHistory(10, 10);
    small.add(new SessionHistory.Exchange("s#0", "12345", "12345"));
    small.add(new SessionHistory.Exchange("s#1", "123", "456"));
    assertThat(small.exchanges()).extracting(SessionHistory.Exchange::turnId).containsExactly("s#1");
  }
}
