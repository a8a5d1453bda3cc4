package dev.parley.bench;

import dev.parley.speech.TextToSpeech;
import java.util.Arrays;
import java.util.List;

/**
 * The offline voices side by side: time to synthesize each of the agents' typical sentences (what
 * the caller waits for before the first audio of a reply), as a median over repeated passes, and
 * the real-time factor (synthesis time over speech length).
 *
 * <pre>./parley bench tts [passes]</pre>
 */
public final class TtsBench {
  private static final List<String> SENTENCES = List.of("Hi, you've reached support.",
      "I'm sorry to hear your login isn't working.", "Let me reset that for you right away.",
      "Is there anything else I can help you with today?", "Thanks for calling, have a great day.");

  public static void main(String[] args) {
    int passes = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    System.out.printf("%d sentences, %d passes each, this machine's %d cores%n", SENTENCES.size(), passes,
        Runtime.getRuntime().availableProcessors());
    System.out.println("| voice | median ms per sentence | median real-time factor |");
    System.out.println("|---|---|---|");
    for (String name : dev.parley.speech.SpeechProviders.MEASURED_VOICES) {
      try (TextToSpeech voice = dev.parley.speech.SpeechProviders.openLocal(name, System.getenv())) {
        report(voice, passes);
      }
    }
  }

  private static void report(TextToSpeech voice, int passes) {
    voice.synthesize("Warming up.", 1.0);
    double[] millis = new double[SENTENCES.size() * passes];
    double[] factors = new double[millis.length];
    int i = 0;
    for (int pass = 0; pass < passes; pass++) {
      for (String sentence : SENTENCES) {
        long start = System.nanoTime();
        byte[] pcm = voice.synthesize(sentence, 1.0);
        millis[i] = (System.nanoTime() - start) / 1e6;
        factors[i] = millis[i] / (pcm.length / 96.0);
        i++;
      }
    }
    Arrays.sort(millis);
    Arrays.sort(factors);
    System.out.printf("| %s | %.0f | %.2f |%n", voice.name(), millis[millis.length / 2], factors[factors.length / 2]);
  }
}
