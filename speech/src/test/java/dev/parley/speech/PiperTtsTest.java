package dev.parley.speech;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Piper voice for real (the model ./parley setup fetches, espeak-ng for phonemes), heard back by PocketSphinx. */
class PiperTtsTest {
  private static final Path MODEL = ModelFiles.find("PARLEY_PIPER_MODEL", "en_US-joe-medium.onnx");
  private static PiperTts piper;

  @BeforeAll
  static void load() {
    if (System.getenv("CI") != null && MODEL == null) {
      throw new AssertionError("CI must have the Piper voice: ./parley setup fetches it");
    }
    assumeTrue(MODEL != null, "no Piper voice: run ./parley setup");
    piper = PiperTts.open(MODEL);
  }

  @AfterAll
  static void close() {
    if (piper != null) {
      piper.close();
    }
  }

  @Test
  void textBecomesPhonemesWithTheClausePunctuationKept() {
    String phonemes = piper.phonemes("Hello, how are you?");
    assertThat(phonemes).contains(",").endsWith("?").contains("h");
    long[] symbols = piper.symbols(phonemes);
    assertThat(symbols[0]).as("BOS").isEqualTo(1);
    assertThat(symbols[symbols.length - 1]).as("EOS").isEqualTo(2);
    assertThat(symbols[1]).as("a pad after each symbol").isEqualTo(0);
  }

  @Test
  void theVoiceSpeaksWordsTheOfflineRecognizerUnderstands() {
    long start = System.nanoTime();
    byte[] speech;
    // without the voice's random variation: with it, PocketSphinx heard "i are eclipse reset my password" once
    try (PiperTts steady = PiperTts.open(MODEL).steady()) {
      speech = steady.synthesize("I already tried to reset my password.", 1.0);
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    double seconds = speech.length / 96_000.0;
    String heard;
    try (PocketSphinxStt stt = new PocketSphinxStt()) {
      heard = stt.transcribe(Pcm.down3(Pcm.samples(speech))).text();
    }
    System.out.printf("piper: %.2f s of speech in %d ms (real-time factor %.2f); pocketsphinx heard \"%s\"%n", seconds,
        millis, millis / 1000.0 / seconds, heard);
    assertThat(seconds).isBetween(1.0, 4.0);
    assertThat(Pcm.rms(Pcm.samples(speech))).as("audible").isGreaterThan(1000);
    // PocketSphinx's generic model gets this sentence word for word (it garbles "my account login" from any voice)
    assertThat(heard).isEqualTo("i already tried to reset my password");
  }

  @Test
  void fasterSpeechIsShorter() {
    int normal = piper.synthesize("Thanks for calling, have a great day.", 1.0).length;
    int fast = piper.synthesize("Thanks for calling, have a great day.", 1.5).length;
    assertThat((double) fast / normal).isBetween(0.5, 0.85);
  }

  @Test
  void oddTextIsSpokenOrSilentNeverAFailure() {
    assertThat(piper.synthesize("", 1.0)).isEmpty();
    assertThat(piper.synthesize("...!?", 1.0)).isEmpty();
    assertThat(piper.synthesize("<script>alert('x')</script> \u0000 $100 & 50% off", 1.0).length).isPositive();
    assertThatThrownBy(() -> piper.synthesize("hello", 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aMissingOrForeignVoiceIsAClearError(@TempDir Path dir) throws IOException {
    assertThatThrownBy(() -> PiperTts.open(dir.resolve("none.onnx"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no Piper voice at").hasMessageContaining("./parley setup");
    Path model = Files.write(dir.resolve("v.onnx"), "not a model".getBytes());
    Files.writeString(dir.resolve("v.onnx.json"), "{\"phoneme_id_map\":{}}");
    assertThatThrownBy(() -> PiperTts.open(model)).hasMessageContaining("is not a loadable ONNX model");
    Files.writeString(dir.resolve("v.onnx.json"), "{\"phoneme_type\":\"text\"}");
    assertThatThrownBy(() -> PiperTts.open(model)).hasMessageContaining("not a Piper voice config");
  }
}
