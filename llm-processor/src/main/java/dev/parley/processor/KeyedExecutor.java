package dev.parley.processor;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * Runs tasks of the same key one after another, in submission order, and tasks of different keys
 * in parallel on a shared pool: sessions never wait for each other's LLM calls, while each
 * session's turns stay in order.
 */
final class KeyedExecutor {
  private final ExecutorService pool;
  private final Map<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

  KeyedExecutor(ExecutorService pool) {
    this.pool = pool;
  }

  /** Runs {@code task} after every earlier task of {@code key}; {@code done} runs after it, even if it failed. */
  void submit(String key, Runnable task, Runnable done) {
    tails.compute(key, (k, tail) -> {
      CompletableFuture<Void> previous = tail == null ? CompletableFuture.completedFuture(null) : tail;
      CompletableFuture<Void> next = previous.handleAsync((v, e) -> {
        try {
          task.run();
        } finally {
          done.run();
        }
        return null;
      }, pool);
      next.whenComplete((v, e) -> tails.remove(k, next));
      return next;
    });
  }

  int activeKeys() {
    return tails.size();
  }
}
