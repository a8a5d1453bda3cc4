package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.speech.SpeechProviders;
import dev.parley.speech.MoonshineStt;
import dev.parley.speech.Pcm;
import dev.parley.speech.PocketSphinxStt;
import dev.parley.speech.SpeechToText;
import dev.parley.speech.TextToSpeech;
import dev.parley.speech.WordErrorRate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The offline speech-to-text engines on the callers' lines of a conversation cases file, spoken by each
 * offline voice: word error rate (words normalized alike, numbers spelled out) and time to transcribe.
 *
 * <pre>./parley bench stt [--cases FILE] [--verbose] [--voices joe,slt,rms,awb,kevin16] [--engines moonshine,pocketsphinx]</pre>
 */
public final class SttBench {
  public static void main(String[] args) throws Exception {
    Path cases = Path.of("bench", "conversations.json");
    boolean verbose = false;
    List<String> onlyVoices = SpeechProviders.MEASURED_VOICES;
    List<String> onlyEngines = List.of("moonshine", "pocketsphinx");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--cases" -> cases = Path.of(args[++i]);
        case "--verbose", "-v" -> verbose = true;
        case "--voices" -> onlyVoices = List.of(args[++i].split(","));
        case "--engines" -> onlyEngines = List.of(args[++i].split(","));
        default -> throw new IllegalArgumentException("usage: ./parley bench stt [--cases FILE] [--verbose]"
            + " [--voices joe,slt,rms,awb,kevin16] [--engines moonshine,pocketsphinx]");
      }
    }
    List<String> lines = new ArrayList<>();
    for (JsonNode conversation : new ObjectMapper().readTree(cases.toFile()).path("conversations")) {
      for (JsonNode turn : conversation.path("turns")) {
        lines.add(turn.path("say").asText());
      }
    }
    String moonshineDir = System.getenv().getOrDefault("PARLEY_MOONSHINE_DIR", ".parley/models/moonshine-base-en");
    System.out.printf("%d caller lines from %s, each spoken by every offline voice and transcribed by every offline"
        + " engine%n", lines.size(), cases);
    Map<String, TextToSpeech> voices = new LinkedHashMap<>();
    for (String voice : onlyVoices) {
      voices.put(voice, SpeechProviders.openLocal(voice, System.getenv())); // says why a voice cannot be opened
    }
    Map<String, SpeechToText> engines = new LinkedHashMap<>();
    if (onlyEngines.contains("moonshine")) {
      engines.put("moonshine", new MoonshineStt(Path.of(moonshineDir)));
    }
    if (onlyEngines.contains("pocketsphinx")) {
      engines.put("pocketsphinx", new PocketSphinxStt());
    }
    if (voices.isEmpty() || engines.isEmpty()) {
      throw new IllegalArgumentException("--voices takes " + SpeechProviders.MEASURED_VOICES
          + ", --engines moonshine and/or pocketsphinx");
    }
    List<String> rows = new ArrayList<>();
    for (Map.Entry<String, TextToSpeech> voice : voices.entrySet()) {
      List<short[]> audio = new ArrayList<>();
      List<Long> speaking = new ArrayList<>();
      voice.getValue().synthesize(lines.get(0), 1.0); // warm-up
      for (String line : lines) {
        long start = System.nanoTime();
        byte[] pcm = voice.getValue().synthesize(line, 1.0);
        speaking.add((System.nanoTime() - start) / 1_000_000);
        audio.add(Pcm.down3(Pcm.samples(pcm)));
      }
      speaking.sort(Long::compare);
      for (Map.Entry<String, SpeechToText> engine : engines.entrySet()) {
        engine.getValue().transcribe(audio.get(0)); // warm-up
        int edits = 0;
        int words = 0;
        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
          SpeechToText.Transcript transcript = engine.getValue().transcribe(audio.get(i));
          WordErrorRate.Errors errors = WordErrorRate.of(lines.get(i), transcript.text());
          edits += errors.edits();
          words += errors.words();
          millis.add(transcript.millis());
          if (verbose && errors.edits() > 0) {
            System.out.printf("  %s/%s: \"%s\" heard as \"%s\"%n", voice.getKey(), engine.getKey(), lines.get(i),
                transcript.text());
          }
        }
        millis.sort(Long::compare);
        String row = String.format(Locale.ROOT, "| %s | %s (%s) | %.1f%% | %d / %d | %d ms | %d ms |", engine.getKey(),
            voice.getKey(), voice.getValue().name(), 100.0 * edits / words, edits, words, millis.get(millis.size() / 2),
            speaking.get(speaking.size() / 2));
        rows.add(row);
        System.out.println(row);
      }
    }
    System.out.println();
    System.out.println("| engine | voice | word error rate | word errors / words | median time per line |"
        + " voice's median time per line |");
    System.out.println("|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
    engines.values().forEach(SpeechToText::close);
    for (TextToSpeech voice : voices.values()) {
      voice.close();
    }
    System.exit(0);
  }
}
