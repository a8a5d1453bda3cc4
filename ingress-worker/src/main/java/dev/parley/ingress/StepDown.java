package dev.parley.ingress;

import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leaving a call to another listener of it: one that began later, because this one had been taken for dead (it was
 * only slow) and the call was dispatched again. A turn this one is hearing is transcribed and published first (the
 * other heard only its end; the same turn number is answered once), then {@code leave} runs, once.
 */
final class StepDown {
  private static final Logger log = LoggerFactory.getLogger(StepDown.class);
  private final String sessionId;
  private final Consumer<String> leave;
  /** The listener to leave the call to once the turn being heard is out, or null. */
  private volatile String afterTurn;

  StepDown(String sessionId, Consumer<String> leave) {
    this.sessionId = sessionId;
    this.leave = leave;
  }

  /**
   * {@code ifInTurn} says whether a turn is being heard, running what it is given first if so (under the turn's lock,
   * so the turn cannot end in between): {@link CallerTurns#ifInTurn}.
   */
  void ask(String successor, Predicate<Runnable> ifInTurn) {
    if (afterTurn != null) {
      return;
    }
    if (ifInTurn.test(() -> afterTurn = successor)) {
      log.info("session {}: {} listens to this call too; leaving it once the turn being heard is transcribed",
          sessionId, successor);
      return;
    }
    leave.accept(successor);
  }

  /** The turn being heard is out (or had no words): leave now if asked meanwhile. */
  void turnDone() {
    String successor = afterTurn;
    if (successor != null) {
      leave.accept(successor);
    }
  }
}
