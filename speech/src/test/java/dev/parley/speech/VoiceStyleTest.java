package dev.parley.speech;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Free-text voice directions read as rate, pitch and volume, and what FreeTTS makes of them. */
class VoiceStyleTest {

  @Test
  void directionsAreReadAsRatePitchAndVolume() {
    VoiceStyle calm = VoiceStyle.of("Calm and slow, reassuring");
    assertThat(calm.rate()).isLessThan(1.0);
    assertThat(calm.applied()).isEqualTo("slower");
    VoiceStyle firm = VoiceStyle.of("firm and serious");
    assertThat(firm.pitch()).isLessThan(1.0);
    assertThat(firm.rate()).isEqualTo(1.0);
    VoiceStyle cheerful = VoiceStyle.of("warm, cheerful and a bit faster");
    assertThat(cheerful.pitch()).isGreaterThan(1.0);
    assertThat(cheerful.rate()).isGreaterThan(1.0);
    assertThat(VoiceStyle.of("speak softly").volume()).isLessThan(1.0);
    assertThat(VoiceStyle.of("very slowly please").rate()).isEqualTo(0.75);
    assertThat(VoiceStyle.of("slowly but urgently").rate()).as("contradictions leave the rate alone").isEqualTo(1.0);
    assertThat(VoiceStyle.of("in lowercase letters").pitch()).as("whole words only").isEqualTo(1.0);
    assertThat(VoiceStyle.of("  ").isNone()).isTrue();
    assertThat(VoiceStyle.of(null)).isEqualTo(VoiceStyle.NONE);
    assertThat(VoiceStyle.of("x".repeat(1000)).instructions()).hasSize(VoiceStyle.MAX_CHARS);
  }

  @Test
  void freeTtsSpeaksSlowerSofterAndLowerWhenAskedTo() {
    try (FreeTtsTts tts = new FreeTtsTts()) {
      String line = "Thank you, could you tell me about your studies?";
      short[] plain = Pcm.samples(tts.synthesize(line, 1.0));
      short[] slow = Pcm.samples(tts.synthesize(line, 1.0, VoiceStyle.of("calm and slow")));
      short[] soft = Pcm.samples(tts.synthesize(line, 1.0, VoiceStyle.of("softly")));
      short[] again = Pcm.samples(tts.synthesize(line, 1.0, VoiceStyle.NONE));
      assertThat((double) slow.length).isGreaterThan(plain.length * 1.1);
      assertThat(Pcm.rms(soft)).isLessThan(Pcm.rms(plain) * 0.85);
      assertThat(again.length).as("the plain voice comes back after a style").isEqualTo(plain.length);
    }
  }
}
