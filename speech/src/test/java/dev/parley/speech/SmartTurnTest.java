package dev.parley.speech;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Smart Turn for real (the model file ./parley setup fetches) on lines spoken by the Piper voice. */
class SmartTurnTest {
  private static final Path MODEL = ModelFiles.find("PARLEY_SMART_TURN_MODEL", "smart-turn-v3.2-cpu.onnx");
  private static final Path PIPER = ModelFiles.find("PARLEY_PIPER_MODEL", "en_US-joe-medium.onnx");

  @Test
  void finishedSentencesScoreAsEndsOfTurnAndBrokenOffOnesDoNot() {
    assumeTrue(MODEL != null && PIPER != null, "run ./parley setup for the Smart Turn and Piper files (CI has them)");
    // (Piper's voice varies from one synthesis to the next; a question's rise, "Can you help me reset my
    // password?", scored from 0.54 to 0.97 here, so the finished lines are statements)
    List<String> finished = List.of("I was charged twice for my subscription this month.", "That's all, thank you.");
    // cut off before the words that finish them (Piper says a bare "my number is" with a final fall, so a
    // fragment ending on a noun can sound finished; these end where no sentence can)
    List<String> unfinished = List.of("I would like to change my", "So what I was thinking is that",
        "My account number is, um");
    try (SmartTurn turn = new SmartTurn(MODEL); PiperTts voice = PiperTts.open(PIPER).steady()) {
      for (String line : finished) {
        double p = turn.probability(spoken(voice, line));
        System.out.printf("smart turn: \"%s\" -> %.3f%n", line, p);
        assertThat(p).as("end of turn after \"%s\"", line).isGreaterThan(0.5);
      }
      for (String line : unfinished) {
        double p = turn.probability(spoken(voice, line));
        System.out.printf("smart turn: \"%s\" -> %.3f%n", line, p);
        assertThat(p).as("end of turn after \"%s\"", line).isLessThan(0.5);
      }
      assertThat(turn.probability(new short[1600])).as("silence only").isBetween(0.0, 1.0);
    }
  }

  @Test
  void withTheDetectorAFinishedTurnEndsAtItsFirstPauseAndABrokenOffOneWaitsForTheRest() {
    assumeTrue(MODEL != null && PIPER != null, "run ./parley setup for the Smart Turn and Piper files (CI has them)");
    // the steady voice: Piper's random variation otherwise moves Smart Turn's verdict on a sentence from run to run
    try (SmartTurn model = new SmartTurn(MODEL); PiperTts voice = PiperTts.open(PIPER).steady()) {
      // a broken-off sentence: the 600 ms pause does not end the turn, the rest of the sentence joins it
      Detected brokenOff = detect(model, voice, "I would like to change my", "plan to the yearly one.");
      assertThat(brokenOff.turns()).as("one turn, not cut at the pause (judged %s)", brokenOff.judged()).hasSize(1);
      assertThat(brokenOff.judged().get(0)).as("the pause mid-sentence judged unfinished").isLessThan(0.5);
      // a finished sentence: the turn ends at its first pause, well before the 1,000 ms upper bound
      Detected finished = detect(model, voice, "I was charged twice for my subscription this month.", null);
      assertThat(finished.turns()).hasSize(1);
      long delay = finished.turns().get(0)[1] - finished.turns().get(0)[0];
      System.out.printf("smart turn: finished turn ended %d ms after the last word (judged %s); broken-off one judged"
          + " %s%n", delay, finished.judged(), brokenOff.judged());
      assertThat(delay).as("ended at the first pause, not after the 1,000 ms silence").isLessThan(600);
    }
  }

  private record Detected(List<long[]> turns, List<Double> judged) {}

  /** Feeds half a second of silence, the words (a 600 ms pause, then {@code rest} if given), then 1.5 s of silence. */
  private static Detected detect(SmartTurn model, PiperTts voice, String words, String rest) {
    List<long[]> turns = new java.util.ArrayList<>();
    List<Double> judged = new java.util.ArrayList<>();
    long[] clock = {0};
    TurnDetector detector = new TurnDetector(new TurnDetector.Listener() {

      @Override
      public void onTurnEnded(long started, long stopped, short[] pcm16k) {
        turns.add(new long[] {stopped, clock[0]});
      }

      @Override
      public void onTurnJudged(double probability, long millis) {
        judged.add(probability);
      }
    }, 500, 200, 1000).endOfTurn(model::probability);
    feed(detector, new short[48_000 / 2], clock);
    feed(detector, Pcm.trim(Pcm.samples(voice.synthesize(words, 1.0)), 200), clock);
    if (rest != null) {
      feed(detector, new short[48_000 * 6 / 10], clock); // a 600 ms pause, mid-sentence
      feed(detector, Pcm.trim(Pcm.samples(voice.synthesize(rest, 1.0)), 200), clock);
    }
    feed(detector, new short[48_000 * 15 / 10], clock);
    return new Detected(turns, judged);
  }

  @Test
  void aFailingModelLeavesTheTurnToSilence() {
    List<Long> ends = new java.util.ArrayList<>();
    long[] clock = {0};
    TurnDetector detector = new TurnDetector(new TurnDetector.Listener() {

      @Override
      public void onTurnEnded(long started, long stopped, short[] pcm16k) {
        ends.add(clock[0] - stopped);
      }
    }, 500, 200, 800).endOfTurn(pcm -> {
      throw new IllegalStateException("model gone");
    });
    short[] tone = new short[48_000];
    for (int i = 0; i < tone.length; i++) {
      tone[i] = (short) (6000 * Math.sin(2 * Math.PI * 300 * i / 48_000.0));
    }
    feed(detector, tone, clock);
    feed(detector, new short[48_000 * 2], clock);
    assertThat(ends).hasSize(1);
    assertThat(ends.get(0)).as("ended by the 800 ms of silence").isBetween(790L, 2000L);
  }

  private static void feed(TurnDetector detector, short[] pcm48k, long[] clock) {
    for (int i = 0; i + 480 <= pcm48k.length; i += 480) {
      detector.frame(java.util.Arrays.copyOfRange(pcm48k, i, i + 480), clock[0]);
      clock[0] += 10;
    }
  }

  private static short[] spoken(PiperTts voice, String line) {
    return Pcm.down3(Pcm.samples(voice.synthesize(line, 1.0)));
  }

  @Test
  void theFftMatchesTheDefinitionAtTheModelsOddSize() {
    int n = SmartTurn.N_FFT;
    Random random = new Random(7);
    double[] re = new double[n];
    double[] im = new double[n];
    for (int i = 0; i < n; i++) {
      re[i] = random.nextGaussian();
    }
    double[] x = re.clone();
    new SmartTurn.Fft(n).transform(re, im);
    for (int k : new int[] {0, 1, 7, 100, 199, 200, 333}) {
      double dftRe = 0;
      double dftIm = 0;
      for (int j = 0; j < n; j++) {
        dftRe += x[j] * Math.cos(-2 * Math.PI * j * k / n);
        dftIm += x[j] * Math.sin(-2 * Math.PI * j * k / n);
      }
      assertThat(re[k]).as("re[%d]", k).isCloseTo(dftRe, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(im[k]).as("im[%d]", k).isCloseTo(dftIm, org.assertj.core.data.Offset.offset(1e-9));
    }
  }

  @Test
  void featuresAreWhispersShapeAndRange() {
    short[] tone = new short[16_000];
    for (int i = 0; i < tone.length; i++) {
      tone[i] = (short) (8000 * Math.sin(2 * Math.PI * 440 * i / 16_000));
    }
    float[] features = SmartTurn.features(tone);
    assertThat(features).hasSize(80 * 800);
    float max = Float.NEGATIVE_INFINITY;
    float min = Float.POSITIVE_INFINITY;
    for (float f : features) {
      max = Math.max(max, f);
      min = Math.min(min, f);
    }
    assertThat(max - min).as("log range clamped to 8 decades, scaled by 1/4").isLessThanOrEqualTo(2.0f + 1e-5f);
    // 440 Hz lies in mel band 10 (Slaney scale, 80 bands up to 8 kHz): the tone's frames peak there
    int frame = 799;
    int loudest = 0;
    for (int m = 0; m < 80; m++) {
      if (features[m * 800 + frame] > features[loudest * 800 + frame]) {
        loudest = m;
      }
    }
    assertThat(SmartTurn.melToHz(SmartTurn.hzToMel(440))).isCloseTo(440, org.assertj.core.data.Offset.offset(1e-9));
    double[][] filters = SmartTurn.melFilters();
    int expected = 0;
    for (int m = 0; m < 80; m++) {
      if (filters[m][11] > filters[expected][11]) { // bin 11 = 440 Hz at 40 Hz a bin
        expected = m;
      }
    }
    assertThat(loudest).isEqualTo(expected);
  }

  @Test
  void aMissingModelIsOneClearErrorNamingTheFix() {
    assertThatThrownBy(() -> new SmartTurn(Path.of("/nonexistent/smart-turn.onnx")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("./parley setup");
  }
}
