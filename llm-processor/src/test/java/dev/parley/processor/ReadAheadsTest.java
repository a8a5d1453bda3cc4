package dev.parley.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReadAheadsTest {
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final ReadAheads reads = new ReadAheads(pool);
  private final List<String> ran = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  private Runnable read(String name, CountDownLatch release) {
    return () -> {
      ran.add(name);
      try {
        release.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ran.add(name + " done");
    };
  }

  @Test
  void aDraftIsReadAtOnceAndTheTurnWaitsForThatRead() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    reads.offer("s", read("draft", release));
    awaitRan("draft");
    Thread turn = new Thread(() -> {
      reads.turnStarts("s", Duration.ofSeconds(5));
      ran.add("turn");
    });
    turn.start();
    holds(() -> ran.equals(List.of("draft"))); // the turn waits while its draft is read
    release.countDown();
    turn.join(5_000);
    assertThat(ran).containsExactly("draft", "draft done", "turn");
  }

  @Test
  void whileATurnIsAnsweredOnlyTheNewestDraftWaitsAndIsReadWhenTheTurnIsDone() throws Exception {
    CountDownLatch open = new CountDownLatch(0);
    reads.turnStarts("s", Duration.ofSeconds(1));
    reads.offer("s", read("first pause", open));
    reads.offer("s", read("second pause", open));
    holds(ran::isEmpty); // nothing is read while the conversation is incomplete
    reads.turnEnds("s");
    awaitRan("second pause done");
    holds(() -> ran.equals(List.of("second pause", "second pause done")));
  }

  @Test
  void aTurnDropsTheDraftStillWaitingAndReadsAreOneAtATimePerSession() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    reads.offer("s", read("one", release));
    awaitRan("one");
    reads.offer("s", read("two", new CountDownLatch(0)));
    reads.offer("other", read("other session", new CountDownLatch(0)));
    awaitRan("other session done");
    assertThat(ran).as("another session's draft does not wait for this one's").doesNotContain("two");
    Thread turn = new Thread(() -> reads.turnStarts("s", Duration.ofSeconds(5)));
    turn.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> turn.getState() == Thread.State.TIMED_WAITING
        || turn.getState() == Thread.State.WAITING); // the turn is waiting for the read of "one"
    release.countDown();
    turn.join(5_000);
    reads.turnEnds("s");
    holds(() -> !ran.contains("two")); // the draft that was waiting when the turn came is never read
  }

  @Test
  void aTurnWaitsNoLongerThanItsBound() {
    CountDownLatch never = new CountDownLatch(1);
    reads.offer("s", read("stuck", never));
    long start = System.nanoTime();
    reads.turnStarts("s", Duration.ofMillis(300));
    long waited = (System.nanoTime() - start) / 1_000_000;
    assertThat(waited).isBetween(250L, 2_000L);
    never.countDown();
  }

  @Test
  void anEndedSessionReadsNothingMore() throws Exception {
    reads.turnStarts("s", Duration.ofSeconds(1));
    reads.offer("s", read("late", new CountDownLatch(0)));
    reads.forget("s");
    reads.turnEnds("s");
    holds(ran::isEmpty);
    assertThat(reads.tracked()).isZero();
  }

  private void awaitRan(String name) {
    await().atMost(Duration.ofSeconds(5)).until(() -> ran.contains(name));
  }

  /** {@code condition} is true now and stays true for 200 ms (what must not happen does not). */
  private static void holds(java.util.concurrent.Callable<Boolean> condition) {
    await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(condition);
  }
}
