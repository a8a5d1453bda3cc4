package dev.parley.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BargeInTest {

  @Test
  void aVoiceStopsOnlyForItsOwnSessionsCaller() {
    byte[] payload = BargeIn.payload("s-AJ_x@y", 1_796_000_000_123L);
    assertThat(BargeIn.isFor(payload, "s-AJ_x@y")).as("an @ in the session id is fine").isTrue();
    assertThat(BargeIn.isFor(payload, "s-AJ_x")).isFalse();
    assertThat(BargeIn.startedAt(payload)).isEqualTo(1_796_000_000_123L);
  }

  @Test
  void aMalformedPayloadIsNobodysBargeIn() {
    byte[] garbage = "no separator".getBytes(StandardCharsets.UTF_8);
    assertThat(BargeIn.isFor(garbage, "no separator")).isFalse();
    assertThat(BargeIn.startedAt("s-1@soon".getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
    assertThat(BargeIn.isFor(new byte[0], "")).isFalse();
  }
}
