package dev.parley.processor;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Reads of callers' unconfirmed words (drafts), run beside the sessions' lanes so a draft never queues in front
 * of a turn: per session at most one read runs and one waits, the newest draft replacing an older waiting one.
 * While the session answers a turn no read starts (the conversation it would read is not complete yet); the
 * waiting draft starts when the turn is done. A turn that arrives drops the waiting draft and waits (bounded)
 * for the running read, which has put the same words into the model's cache.
 */
final class ReadAheads {
  private final ExecutorService pool;
  private final Map<String, State> sessions = new ConcurrentHashMap<>();

  ReadAheads(ExecutorService pool) {
    this.pool = pool;
  }

  private static final class State {
    boolean answering;
    Runnable waiting;
    Future<?> running;
  }

  /** A draft arrived: read it now if the session is idle, else keep it (replacing an older one) for later. */
  void offer(String session, Runnable read) {
    State state = sessions.computeIfAbsent(session, s -> new State());
    synchronized (state) {
      state.waiting = read;
      startIfIdle(state);
    }
  }

  /** A turn of the session starts: the waiting draft is dropped, a running read is waited for (at most {@code bound}). */
  void turnStarts(String session, Duration bound) {
    State state = sessions.computeIfAbsent(session, s -> new State());
    Future<?> running;
    synchronized (state) {
      state.answering = true;
      state.waiting = null;
      running = state.running;
    }
    if (running != null) {
      try {
        running.get(bound.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        // the read goes on; the turn does not wait longer for it
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (java.util.concurrent.ExecutionException e) {
        // a read is only a head start: the turn reads its words itself
      }
    }
  }

  /** The turn is answered: a draft that came meanwhile (for the next turn) is read now. */
  void turnEnds(String session) {
    State state = sessions.get(session);
    if (state == null) {
      return;
    }
    synchronized (state) {
      state.answering = false;
      startIfIdle(state);
    }
  }

  /** The session ended: nothing more is read for it. */
  void forget(String session) {
    State state = sessions.remove(session);
    if (state != null) {
      synchronized (state) {
        state.waiting = null;
      }
    }
  }

  /** Sessions known here (until they end). */
  int tracked() {
    return sessions.size();
  }

  private void startIfIdle(State state) {
    if (state.answering || state.waiting == null || (state.running != null && !state.running.isDone())) {
      return;
    }
    Runnable read = state.waiting;
    state.waiting = null;
    state.running = pool.submit(() -> {
      try {
        read.run();
      } finally {
        synchronized (state) {
          state.running = null;
          startIfIdle(state);
        }
      }
    });
  }
}
