package dev.parley.speech;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Flite's voices for real (Debian's flite, installed by setup): they speak, at the asked speed, and are understood. */
class FliteTtsTest {
  private static final Path ENCODER = ModelFiles.find("NO_SUCH_VARIABLE", "moonshine-base-en/encoder_model.ort");

  @Test
  void eachVoiceSpeaksASentenceAt48kHzAndASpeedStretchesIt() {
    assumeTrue(FliteTts.available("flite"), "run ./parley setup (it installs Debian's flite; CI has it)");
    for (String name : FliteTts.VOICES) {
      FliteTts voice = new FliteTts(null, name);
      short[] normal = Pcm.samples(voice.synthesize("Thanks for calling, how can I help you today?", 1.0));
      short[] fast = Pcm.samples(voice.synthesize("Thanks for calling, how can I help you today?", 1.5));
      double seconds = normal.length / 48_000.0;
      assertThat(seconds).as(name + ": a nine-word sentence").isBetween(1.5, 5.0);
      assertThat(Pcm.rms(normal)).as(name + ": not silence").isGreaterThan(500);
      assertThat((double) fast.length / normal.length).as(name + ": 1.5× speed").isBetween(0.55, 0.8);
    }
  }

  @Test
  void aSentenceThatLooksLikeAnOptionIsSpokenNotParsed() {
    assumeTrue(FliteTts.available("flite"), "run ./parley setup (it installs Debian's flite; CI has it)");
    short[] pcm = Pcm.samples(new FliteTts(null, "slt").synthesize("-voice kal 15 percent off", 1.0));
    assertThat(pcm.length / 48_000.0).isGreaterThan(0.8);
  }

  @Test
  void speechToTextUnderstandsTheFliteVoices() {
    assumeTrue(FliteTts.available("flite") && ENCODER != null, "run ./parley setup (flite and Moonshine; CI has them)");
    List<String> lines = List.of("My account login isn't working.", "I was charged twice for my subscription this month.",
        "We're a team of twenty and our projects are all over email.", "I'm ready to create my first project.",
        "Can we book a demo for Thursday?", "The photo upload fails every time, it just spins.",
        "I have the bank statements and the scholarship letter with me.", "Clearing the cache didn't help.");
    int edits = 0;
    int words = 0;
    try (MoonshineStt stt = new MoonshineStt(ENCODER.getParent())) {
      for (String name : FliteTts.VOICES) {
        for (String line : lines) {
          String heard = stt.transcribe(Pcm.down3(Pcm.samples(new FliteTts(null, name).synthesize(line, 1.0)))).text();
          WordErrorRate.Errors errors = WordErrorRate.of(line, heard);
          System.out.printf("flite %s: \"%s\" -> \"%s\"%n", name, line, heard);
          edits += errors.edits();
          words += errors.words();
        }
      }
    }
    // over the 96 lines of bench/conversations.json they measure 6-8 % (./parley bench stt); FreeTTS's kevin16 15 %
    assertThat((double) edits / words).as("word error rate, three voices × eight lines").isLessThanOrEqualTo(0.15);
  }

  @Test
  void anUnknownVoiceOrAMissingProgramIsNamed() {
    assertThatThrownBy(() -> new FliteTts(null, "kal")).hasMessageContaining("no voice 'kal'")
        .hasMessageContaining("slt");
    assertThat(FliteTts.available("/nonexistent/flite")).isFalse();
    assertThatThrownBy(() -> new FliteTts("/nonexistent/flite", "slt").synthesize("hello", 1.0))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("flite");
  }
}
