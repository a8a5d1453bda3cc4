package dev.parley.bench;

import dev.parley.speech.EnergyVad;
import dev.parley.speech.FreeTtsTts;
import dev.parley.speech.Pcm;
import dev.parley.speech.SileroVad;
import dev.parley.speech.VoiceActivity;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Voice activity detectors side by side on one minute of labelled audio (local-voice sentences,
 * silence, and loud white noise between them): the cost of judging a 10 ms frame (median of
 * repeated passes, and what that means in callers per core) and how often each is right on speech,
 * on silence and on noise.
 *
 * <pre>./parley bench vad [passes]</pre>
 */
public final class VadBench {
  private enum Label { SPEECH, SILENCE, NOISE }

  public static void main(String[] args) {
    int passes = args.length > 0 ? Integer.parseInt(args[0]) : 7;
    String file = System.getenv().getOrDefault("PARLEY_VAD_MODEL", ".parley/models/silero_vad.onnx");
    short[] audio;
    Label[] labels;
    try (FreeTtsTts tts = new FreeTtsTts()) {
      String[] sentences = {"My account login isn't working.", "I would like to talk to someone about pricing.",
          "Can you tell me more about the enterprise plan?", "Thanks, that was helpful. Goodbye."};
      Random random = new Random(3);
      java.io.ByteArrayOutputStream pcm = new java.io.ByteArrayOutputStream();
      java.util.List<Label> frameLabels = new java.util.ArrayList<>();
      for (int round = 0; pcm.size() < 48_000 * 2 * 60; round++) {
        append(pcm, frameLabels, new short[48_000], Label.SILENCE);
        short[] noise = new short[48_000 * 2];
        for (int i = 0; i < noise.length; i++) {
          noise[i] = (short) (random.nextGaussian() * 2500);
        }
        append(pcm, frameLabels, noise, Label.NOISE);
        append(pcm, frameLabels, new short[24_000], Label.SILENCE);
        append(pcm, frameLabels, Pcm.samples(tts.synthesize(sentences[round % sentences.length], 1.0)), Label.SPEECH);
      }
      audio = Pcm.samples(pcm.toByteArray());
      labels = frameLabels.toArray(Label[]::new);
    }
    System.out.printf("audio: %.1f s in %d frames of 10 ms (speech, silence, and white noise at RMS 2500)%n",
        audio.length / 48_000.0, labels.length);
    try (SileroVad.Model model = SileroVad.Model.open(Path.of(file))) {
      report("silero", model::newDetector, audio, labels, passes);
    }
    report("energy", () -> new EnergyVad(500), audio, labels, passes);
  }

  private static void append(java.io.ByteArrayOutputStream pcm, java.util.List<Label> labels, short[] part, Label label) {
    short[] whole = Arrays.copyOf(part, part.length / 480 * 480);
    pcm.writeBytes(Pcm.bytes(whole));
    for (int f = 0; f < whole.length / 480; f++) {
      labels.add(label);
    }
  }

  private static void report(String name, Supplier<VoiceActivity> detectors, short[] audio, Label[] labels, int passes) {
    short[][] frames = new short[labels.length][];
    for (int f = 0; f < frames.length; f++) {
      frames[f] = Arrays.copyOfRange(audio, f * 480, f * 480 + 480);
    }
    long[] nanosPerFrame = new long[passes];
    boolean[] decisions = new boolean[frames.length];
    for (int pass = -1; pass < passes; pass++) { // pass -1 warms up
      VoiceActivity vad = detectors.get();
      long start = System.nanoTime();
      for (int f = 0; f < frames.length; f++) {
        decisions[f] = vad.voiced(frames[f]);
      }
      if (pass >= 0) {
        nanosPerFrame[pass] = (System.nanoTime() - start) / frames.length;
      }
    }
    Arrays.sort(nanosPerFrame);
    long median = nanosPerFrame[passes / 2];
    int[] right = new int[3];
    int[] total = new int[3];
    for (int f = 0; f < frames.length; f++) {
      Label label = labels[f];
      total[label.ordinal()]++;
      right[label.ordinal()] += decisions[f] == (label == Label.SPEECH) ? 1 : 0;
    }
    System.out.printf("%-6s  median %6.1f µs per 10 ms frame (min %.1f, max %.1f over %d passes) -> %,.0f callers per core;"
            + " right on speech %.0f%%, silence %.0f%%, noise %.0f%%%n", name, median / 1000.0,
        nanosPerFrame[0] / 1000.0, nanosPerFrame[passes - 1] / 1000.0, passes, 10_000_000.0 / median,
        100.0 * right[0] / total[0], 100.0 * right[1] / total[1], 100.0 * right[2] / total[2]);
  }
}
