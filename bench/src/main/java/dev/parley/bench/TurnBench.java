package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.speech.Pcm;
import dev.parley.speech.PiperTts;
import dev.parley.speech.SmartTurn;
import dev.parley.speech.TurnDetector;
import dev.parley.speech.VoiceActivityDetectors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * End of turn: silence alone against Smart Turn, on the callers' lines of a conversation cases file spoken by
 * the Piper voice. Each line is heard twice through the ingress's own {@link TurnDetector} (Silero voice
 * activity, 200 ms hangover): once whole, followed by silence, for the end-of-turn delay (last word to turn
 * end); once broken in two near its middle word boundary with a pause put into the sentence's own audio
 * ("I was charged twice for my … subscription this month", a pause of 500, 800 or 1,100 ms, the words before
 * it keeping the unfinished melody of the sentence), where ending the turn in the pause is a false cut-off. Silence-only endpointing is measured at several delays so
 * that Smart Turn can be compared at the same mean delay; Smart Turn is measured with several silences after
 * a pause judged finished (the ingress uses {@link TurnDetector#DEFAULT_FINISHED_SILENCE_MS}) and caps.
 *
 * <pre>./parley bench turns [--cases FILE]</pre>
 */
public final class TurnBench {
  static final int[] PAUSES_MS = {500, 800, 1_100};
  static final int[] SILENCE_ONLY_MS = {200, 300, 400, 600, 800, 1_000, 1_200};
  /** Smart Turn settings: the silence after which a pause judged finished ends the turn, and the cap. */
  static final int[][] SMART_MS = {{200, 1_000}, {300, 1_000}, {400, 600}, {400, 1_000}, {400, 1_500}, {500, 1_000}};

  /** One detector setting's outcome over every line. */
  record Outcome(String name, double meanDelayMs, long p50DelayMs, int cutOffs, int pauses, int wholeCutOffs) {
    double cutOffRate() {
      return pauses == 0 ? 0 : (double) cutOffs / pauses;
    }
  }

  public static void main(String[] args) throws Exception {
    Path cases = Path.of("bench", "conversations.json");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--cases") && i + 1 < args.length) {
        cases = Path.of(args[++i]);
      } else {
        System.err.println("usage: ./parley bench turns [--cases FILE]");
        System.exit(2);
      }
    }
    List<String> lines = new ArrayList<>();
    for (JsonNode conversation : new ObjectMapper().readTree(cases.toFile()).path("conversations")) {
      for (JsonNode turn : conversation.path("turns")) {
        String say = turn.path("say").asText();
        if (say.split("\\s+").length >= 5) {
          lines.add(say);
        }
      }
    }
    String piper = System.getenv().getOrDefault("PARLEY_PIPER_MODEL", ".parley/models/en_US-joe-medium.onnx");
    String model = System.getenv().getOrDefault("PARLEY_SMART_TURN_MODEL", ".parley/models/smart-turn-v3.2-cpu.onnx");
    String vadModel = System.getenv().getOrDefault("PARLEY_VAD_MODEL", ".parley/models/silero_vad.onnx");
    System.out.printf("end of turn: %d caller lines of 5+ words from %s, spoken by Piper; each whole, and broken by a"
        + " pause of %s ms%n", lines.size(), cases, java.util.Arrays.toString(PAUSES_MS));
    List<short[]> whole = new ArrayList<>();
    List<short[][]> broken = new ArrayList<>();
    try (PiperTts voice = PiperTts.open(Path.of(piper))) {
      for (String line : lines) {
        whole.add(Pcm.trim(Pcm.samples(voice.synthesize(line, 1.0)), 200));
        String[] words = line.replaceAll("[.!?]+$", "").split("\\s+");
        int cut = Math.max(2, words.length / 2);
        // the pause goes into the whole sentence's own audio (so the words before it keep the sentence's
        // unfinished melody), at the quietest 10 ms near where the first half ends when said alone
        String first = String.join(" ", java.util.Arrays.copyOfRange(words, 0, cut));
        short[] sentence = whole.get(whole.size() - 1);
        int approx = Pcm.trim(Pcm.samples(voice.synthesize(first, 1.0)), 200).length / 480;
        int at = quietestFrame(sentence, approx - 15, approx + 15);
        broken.add(new short[][] {java.util.Arrays.copyOfRange(sentence, 0, at * 480),
            java.util.Arrays.copyOfRange(sentence, at * 480, sentence.length)});
      }
    }
    List<Outcome> outcomes = new ArrayList<>();
    try (VoiceActivityDetectors vads = VoiceActivityDetectors.choose("silero", vadModel, 500);
        SmartTurn smartTurn = new SmartTurn(Path.of(model))) {
      for (int silence : SILENCE_ONLY_MS) {
        outcomes.add(run("silence " + silence + " ms", vads, null, 0, silence, whole, broken));
      }
      for (int[] smart : SMART_MS) {
        outcomes.add(run("Smart Turn " + smart[0] + "/" + smart[1] + " ms", vads, smartTurn::probability, smart[0],
            smart[1], whole, broken));
      }
    }
    System.out.printf("%n%-28s %14s %14s %22s %18s%n", "end of turn by", "mean delay", "p50 delay", "false cut-offs",
        "whole lines cut");
    for (Outcome o : outcomes) {
      System.out.printf(Locale.ROOT, "%-28s %11.0f ms %11d ms %10d / %-4d %5.1f%% %12d / %d%n", o.name, o.meanDelayMs,
          o.p50DelayMs, o.cutOffs, o.pauses, o.cutOffRate() * 100, o.wholeCutOffs, whole.size());
    }
    for (Outcome smart : outcomes.stream().filter(o -> o.name.startsWith("Smart")).toList()) {
      System.out.printf(Locale.ROOT, "turns: %s: mean delay %.0f ms, false cut-offs %.1f%%; silence only at the same"
          + " mean delay (%.0f ms, interpolated): %.1f%%%n", smart.name, smart.meanDelayMs, smart.cutOffRate() * 100,
          smart.meanDelayMs, interpolatedCutOffs(outcomes, smart.meanDelayMs) * 100);
    }
  }

  /** The 10 ms frame of least energy between frames {@code from} and {@code to} (kept inside the audio). */
  static int quietestFrame(short[] pcm48k, int from, int to) {
    int frames = pcm48k.length / 480;
    int best = Math.max(1, Math.min(frames - 1, from));
    double quietest = Double.MAX_VALUE;
    for (int f = Math.max(1, from); f <= Math.min(frames - 2, to); f++) {
      double rms = Pcm.rms(java.util.Arrays.copyOfRange(pcm48k, f * 480, f * 480 + 480));
      if (rms < quietest) {
        quietest = rms;
        best = f;
      }
    }
    return best;
  }

  /** Silence-only false cut-offs at {@code delay}, interpolated linearly between the measured settings. */
  static double interpolatedCutOffs(List<Outcome> outcomes, double delay) {
    List<Outcome> silence = outcomes.stream().filter(o -> o.name.startsWith("silence"))
        .sorted(java.util.Comparator.comparingDouble(Outcome::meanDelayMs)).toList();
    if (delay <= silence.get(0).meanDelayMs) {
      return silence.get(0).cutOffRate();
    }
    for (int i = 1; i < silence.size(); i++) {
      Outcome a = silence.get(i - 1);
      Outcome b = silence.get(i);
      if (delay <= b.meanDelayMs) {
        double t = (delay - a.meanDelayMs) / (b.meanDelayMs - a.meanDelayMs);
        return a.cutOffRate() + t * (b.cutOffRate() - a.cutOffRate());
      }
    }
    return silence.get(silence.size() - 1).cutOffRate();
  }

  private static Outcome run(String name, VoiceActivityDetectors vads, TurnDetector.EndOfTurn model, int finishedMs,
      int endpointingMs, List<short[]> whole, List<short[][]> broken) {
    List<Long> delays = new ArrayList<>();
    int wholeCut = 0;
    for (short[] line : whole) {
      List<long[]> turns = new ArrayList<>();
      feedAll(vads, model, finishedMs, endpointingMs, turns, line, new short[48_000 * 3]);
      if (turns.size() != 1) {
        wholeCut++;
      }
      if (!turns.isEmpty()) {
        long[] last = turns.get(turns.size() - 1);
        delays.add(last[1] - last[0]); // from the end of speech, as the ingress's voice activity saw it
      }
    }
    int cutOffs = 0;
    int pauses = 0;
    for (short[][] parts : broken) {
      for (int pause : PAUSES_MS) {
        List<long[]> turns = new ArrayList<>();
        feedAll(vads, model, finishedMs, endpointingMs, turns, parts[0], new short[48 * pause], parts[1],
            new short[48_000 * 3]);
        pauses++;
        if (turns.size() > 1) {
          cutOffs++;
        }
      }
    }
    double mean = delays.stream().mapToLong(Long::longValue).average().orElse(0);
    long p50 = ConversationBench.Report.percentile(delays, 50);
    System.out.printf(Locale.ROOT, "  %-28s mean delay %.0f ms, false cut-offs %d / %d%n", name, mean, cutOffs, pauses);
    return new Outcome(name, mean, p50, cutOffs, pauses, wholeCut);
  }

  /** Feeds the pieces one after another (after 300 ms of silence) as 10 ms frames. */
  private static void feedAll(VoiceActivityDetectors vads, TurnDetector.EndOfTurn model, int finishedMs,
      int endpointingMs, List<long[]> turns, short[]... pieces) {
    long[] clock = {0};
    TurnDetector detector = new TurnDetector(new TurnDetector.Listener() {

      @Override
      public void onTurnEnded(long started, long stopped, short[] pcm16k) {
        turns.add(new long[] {stopped, clock[0]});
      }
    }, vads.get(), 200, endpointingMs);
    if (model != null) {
      detector.endOfTurn(model, finishedMs);
    }
    feed(detector, new short[48 * 300], clock);
    for (short[] piece : pieces) {
      feed(detector, piece, clock);
    }
  }

  private static void feed(TurnDetector detector, short[] pcm48k, long[] clock) {
    for (int i = 0; i + 480 <= pcm48k.length; i += 480) {
      detector.frame(java.util.Arrays.copyOfRange(pcm48k, i, i + 480), clock[0]);
      clock[0] += 10;
    }
  }
}
