package dev.parley.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Leaving a call to a later listener, and the caller's own requests on the control topic. */
class StepDownTest {
  private final List<String> left = new ArrayList<>();
  private final StepDown stepDown = new StepDown("s-1", left::add);

  @Test
  void withNoTurnBeingHeardItLeavesAtOnce() {
    stepDown.ask("ingress-b", whenAsked -> false);
    assertThat(left).containsExactly("ingress-b");
  }

  @Test
  void aTurnBeingHeardIsFinishedFirstThenItLeavesOnce() {
    stepDown.ask("ingress-b", whenAsked -> {
      whenAsked.run();
      return true;
    });
    assertThat(left).as("not while the caller's turn is heard").isEmpty();
    stepDown.ask("ingress-c", whenAsked -> true);
    stepDown.turnDone();
    assertThat(left).as("to the first successor, once").containsExactly("ingress-b");
  }

  @Test
  void aTurnEndingWithNobodyWaitingLeavesNothing() {
    stepDown.turnDone();
    assertThat(left).isEmpty();
  }

  @Test
  void onlyEndSessionOnTheControlTopicIsARequest() {
    assertThat(CallerControl.of("parley-control", bytes("{\"type\":\"end_session\"}")))
        .isEqualTo(CallerControl.Request.END_SESSION);
    assertThat(CallerControl.of("chat", bytes("{\"type\":\"end_session\"}"))).isEqualTo(CallerControl.Request.NONE);
    assertThat(CallerControl.of("parley-control", bytes("{\"type\":\"mute\"}"))).isEqualTo(CallerControl.Request.NONE);
    assertThat(CallerControl.of("parley-control", bytes("null"))).isEqualTo(CallerControl.Request.NONE);
    assertThat(CallerControl.of("parley-control", bytes("{not json"))).isEqualTo(CallerControl.Request.UNREADABLE);
    assertThat(CallerControl.of("parley-control", new byte[] {(byte) 0xff, 0})).isEqualTo(
        CallerControl.Request.UNREADABLE);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
