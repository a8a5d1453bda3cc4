package dev.parley.speech;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Silero model for real (the file ./parley setup fetches), against speech, silence and noise. */
class SileroVadTest {
  private static final Path MODEL_FILE = ModelFiles.find("PARLEY_VAD_MODEL", "silero_vad.onnx");
  private static SileroVad.Model model;
  private static short[] speech;

  @BeforeAll
  static void load() {
    if (System.getenv("CI") != null && MODEL_FILE == null) {
      throw new AssertionError("CI must have the Silero VAD model: ./parley setup fetches it");
    }
    assumeTrue(MODEL_FILE != null, "no Silero VAD model: run ./parley setup");
    model = SileroVad.Model.open(MODEL_FILE);
    try (FreeTtsTts tts = new FreeTtsTts()) {
      speech = Pcm.samples(tts.synthesize("My account login isn't working.", 1.0));
    }
  }

  @AfterAll
  static void close() {
    if (model != null) {
      model.close();
    }
  }

  @Test
  void speechIsVoicedAndTheSilenceAroundItIsNot() {
    short[] audio = concat(new short[48_000], speech, new short[48_000]);
    boolean[] decisions = judge(model.newDetector(), audio);

    int speechFrames = speech.length / 480;
    double inSpeech = fraction(decisions, 100, 100 + speechFrames);
    double before = fraction(decisions, 0, 100);
    double after = fraction(decisions, 100 + speechFrames + 30, decisions.length); // 300 ms for the model to let go
    System.out.printf("silero: %.0f%% of speech frames voiced, %.0f%% before, %.0f%% after%n", inSpeech * 100,
        before * 100, after * 100);
    assertThat(inSpeech).as("speech frames judged voiced").isGreaterThan(0.6);
    assertThat(before).as("leading silence").isZero();
    assertThat(after).as("trailing silence").isZero();
  }

  @Test
  void loudNoiseIsNotSpeechThoughTheEnergyDetectorTakesItForSpeech() {
    Random random = new Random(7);
    short[] noise = new short[48_000 * 3];
    for (int i = 0; i < noise.length; i++) {
      noise[i] = (short) (random.nextGaussian() * 3000); // a hiss well above the energy floor
    }
    double silero = fraction(judge(model.newDetector(), noise), 0, noise.length / 480);
    double energy = fraction(judge(new EnergyVad(500), noise), 0, noise.length / 480);
    System.out.printf("white noise judged voiced: silero %.0f%%, energy %.0f%%%n", silero * 100, energy * 100);
    assertThat(silero).isLessThan(0.05);
    assertThat(energy).as("the energy detector is fooled, which is why Silero is the default").isGreaterThan(0.5);
  }

  @Test
  void speechOverSteadyNoiseStillMakesOneTurn() {
    Random random = new Random(11);
    short[] audio = concat(new short[48_000], speech, new short[48_000 * 2]);
    for (int i = 0; i < audio.length; i++) {
      audio[i] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, audio[i] + random.nextGaussian() * 800));
    }
    List<String> turns = new ArrayList<>();
    TurnDetector detector = new TurnDetector(new TurnDetector.Listener() {
      @Override
      public void onSpeechStarted(long at) {}

      @Override
      public void onSpeechStopped(long started, long stopped) {}

      @Override
      public void onTurnEnded(long started, long stopped, short[] pcm16k) {
        turns.add(started + "-" + stopped);
      }
    }, model.newDetector(), 200, 600);
    for (int f = 0; f + 480 <= audio.length; f += 480) {
      short[] frame = new short[480];
      System.arraycopy(audio, f, frame, 0, 480);
      detector.frame(frame, f / 48);
    }
    assertThat(turns).as("one turn, starting near 1000 ms").hasSize(1);
    long started = Long.parseLong(turns.get(0).split("-")[0]);
    assertThat(started).isBetween(900L, 1400L);
  }

  @Test
  void eachCallerHasItsOwnState() {
    SileroVad a = model.newDetector();
    SileroVad b = model.newDetector();
    judge(a, concat(new short[9600], speech)); // a has just heard speech
    short[] silence = new short[480];
    b.voiced(silence);
    assertThat(b.voiced(silence)).isFalse();
    assertThat(b.probability()).isLessThan(SileroVad.STOP);
  }

  @Test
  void aMissingOrWrongModelFileIsAClearError(@TempDir Path dir) throws IOException {
    assertThatThrownBy(() -> SileroVad.Model.open(dir.resolve("absent.onnx")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no Silero VAD model at");
    Path garbage = Files.write(dir.resolve("garbage.onnx"), "not a model".getBytes());
    assertThatThrownBy(() -> SileroVad.Model.open(garbage))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is not a loadable ONNX model");
  }

  @Test
  void theDetectorIsChosenFromSettingsAndAMissingModelIsSaidOutLoud(@TempDir Path dir) {
    try (VoiceActivityDetectors auto = VoiceActivityDetectors.choose("auto", MODEL_FILE.toString(), 500)) {
      assertThat(auto.get().name()).isEqualTo("silero");
    }
    try (VoiceActivityDetectors fallback = VoiceActivityDetectors.choose("auto", dir.resolve("none.onnx").toString(), 500)) {
      assertThat(fallback.get().name()).isEqualTo("energy");
      assertThat(fallback.description()).contains("there is no Silero model at").contains("./parley setup");
    }
    try (VoiceActivityDetectors unset = VoiceActivityDetectors.choose("auto", "", 500)) {
      assertThat(unset.description()).contains("PARLEY_VAD_MODEL is not set");
    }
    assertThat(VoiceActivityDetectors.choose("energy", MODEL_FILE.toString(), 500).get().name()).isEqualTo("energy");
    assertThatThrownBy(() -> VoiceActivityDetectors.choose("silero", dir.resolve("none.onnx").toString(), 500))
        .hasMessageContaining("no Silero VAD model at");
    assertThatThrownBy(() -> VoiceActivityDetectors.choose("webrtc", null, 500))
        .hasMessageContaining("unknown voice activity detector 'webrtc'");
  }

  @Test
  void aFrameOfTheWrongLengthIsRefused() {
    assertThatThrownBy(() -> model.newDetector().voiced(new short[160]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("480 samples");
  }

  private static boolean[] judge(VoiceActivity vad, short[] audio) {
    boolean[] out = new boolean[audio.length / 480];
    for (int f = 0; f < out.length; f++) {
      short[] frame = new short[480];
      System.arraycopy(audio, f * 480, frame, 0, 480);
      out[f] = vad.voiced(frame);
    }
    return out;
  }

  private static double fraction(boolean[] decisions, int from, int to) {
    int voiced = 0;
    for (int i = from; i < to; i++) {
      voiced += decisions[i] ? 1 : 0;
    }
    return to <= from ? 0 : (double) voiced / (to - from);
  }

  private static short[] concat(short[]... parts) {
    int length = 0;
    for (short[] p : parts) {
      length += p.length;
    }
    short[] out = new short[length];
    int at = 0;
    for (short[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
