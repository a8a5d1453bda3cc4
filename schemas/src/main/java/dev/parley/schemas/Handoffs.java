package dev.parley.schemas;

/**
 * How a hand-off reaches the next agent: router-stream sends it the session's {@code SessionStarted} again, with these
 * participant attributes added (an agent that does not know them greets as for a new caller).
 */
public final class Handoffs {
  /** The agent that passed the caller on. */
  public static final String FROM_ATTRIBUTE = "parley.handoff_from";
  /** The turn id of that agent's turn that decided it. */
  public static final String TURN_ATTRIBUTE = "parley.handoff_turn";
  /** What the caller said in that turn: what the next agent picks up. */
  public static final String REQUEST_ATTRIBUTE = "parley.handoff_request";

  private Handoffs() {}

  private static final String PICK_UP = "handoff-";

  /** The turn id of the next agent's first answer after the hand-off decided in {@code turnId}. */
  public static TurnId pickUp(TurnId turnId) {
    return new TurnId(turnId.sessionId(), PICK_UP + turnId.part());
  }

  /** The turn that decided the hand-off a pick-up turn id answers ({@link #pickUp}'s inverse). */
  public static TurnId decidedIn(TurnId pickUp) {
    if (!pickUp.part().startsWith(PICK_UP) || pickUp.part().length() == PICK_UP.length()) {
      throw new IllegalArgumentException("not a hand-off pick-up turn: " + pickUp);
    }
    return new TurnId(pickUp.sessionId(), pickUp.part().substring(PICK_UP.length()));
  }

  /** Whether {@code turnId} is an agent's first answer after a hand-off. */
  public static boolean isPickUp(String turnId) {
    int at = turnId == null ? -1 : turnId.lastIndexOf('#');
    return at >= 0 && turnId.startsWith(PICK_UP, at + 1);
  }
}
