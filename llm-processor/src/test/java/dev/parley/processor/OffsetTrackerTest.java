package dev.parley.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetTrackerTest {
  private final TopicPartition p0 = new TopicPartition("parley.agent.a.v1", 0);

  @Test
  void theCommitPointNeverPassesAnUnfinishedRecord() {
    OffsetTracker tracker = new OffsetTracker();
    for (long offset = 10; offset < 15; offset++) {
      tracker.started(p0, offset);
    }
    tracker.finished(p0, 12);
    tracker.finished(p0, 13);

    assertThat(tracker.committable().get(p0).offset()).isEqualTo(10);
    tracker.finished(p0, 10);
    tracker.finished(p0, 11);
    assertThat(tracker.committable().get(p0).offset()).isEqualTo(14);
    tracker.finished(p0, 14);
    assertThat(tracker.committable().get(p0).offset()).isEqualTo(15);
    assertThat(tracker.committable()).as("nothing new to commit").isEmpty();
  }

  @Test
  void aSlowSessionDoesNotBlockOthersAndEachSessionStaysInOrder() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    KeyedExecutor executor = new KeyedExecutor(pool);
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch slowStarted = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch done = new CountDownLatch(6);

    executor.submit("slow", () -> {
      slowStarted.countDown();
      await(release);
      order.add("slow-1");
    }, done::countDown);
    executor.submit("slow", () -> order.add("slow-2"), done::countDown);
    slowStarted.await();
    for (int i = 1; i <= 4; i++) {
      int n = i;
      executor.submit("fast", () -> order.add("fast-" + n), done::countDown);
    }
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> order.size() == 4);
    assertThat(order).as("fast session finished while the slow one waits").containsExactly("fast-1", "fast-2",
        "fast-3", "fast-4");
    release.countDown();

    assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(order).containsSubsequence("slow-1", "slow-2");
    pool.shutdown();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
