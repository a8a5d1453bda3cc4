package dev.parley.speech;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Offline neural text-to-speech: a Piper voice (a VITS network exported to ONNX, with its
 * {@code .onnx.json} config) run by ONNX Runtime. Text becomes IPA phonemes with espeak-ng
 * (Debian's {@code espeak-ng}, the phonemizer Piper voices are trained on), phonemes become the
 * voice's symbol ids ({@code ^} first, {@code _} after each, {@code $} last), and the network's
 * audio (22,050 Hz for medium voices) is peak-normalized and resampled to the room's 48 kHz.
 * Much more natural than FreeTTS, and slower: see {@code ./parley bench tts}.
 */
public final class PiperTts implements TextToSpeech {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern CLAUSE = Pattern.compile("[^,.;:!?]+[,.;:!?]*");

  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;
  private final Map<Integer, long[]> ids = new HashMap<>();
  private final int sampleRate;
  private final String espeakVoice;
  private volatile float noiseScale;
  private final float lengthScale;
  private volatile float noiseW;
  private final String name;

  private PiperTts(Path model, JsonNode config, OrtSession session) {
    this.session = session;
    this.sampleRate = config.at("/audio/sample_rate").asInt(22_050);
    this.espeakVoice = config.at("/espeak/voice").asText("en-us");
    this.noiseScale = (float) config.at("/inference/noise_scale").asDouble(0.667);
    this.lengthScale = (float) config.at("/inference/length_scale").asDouble(1.0);
    this.noiseW = (float) config.at("/inference/noise_w").asDouble(0.8);
    config.get("phoneme_id_map").fields().forEachRemaining(e -> {
      long[] values = new long[e.getValue().size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = e.getValue().get(i).asLong();
      }
      ids.put(e.getKey().codePointAt(0), values);
    });
    String file = model.getFileName().toString();
    this.name = "piper:" + file.substring(0, file.length() - ".onnx".length());
  }

  /**
   * Turns off the voice's random variation (its noise scales): the same text then always gives the same
   * audio, a little flatter. For tests and measurements that must repeat; the agents' voice keeps it.
   */
  public PiperTts steady() {
    noiseScale = 0f;
    noiseW = 0f;
    return this;
  }

  /**
   * Loads a voice: {@code model} is the {@code .onnx} file, its config the {@code .onnx.json} beside it.
   *
   * @throws IllegalArgumentException when either file is missing or unreadable, or the model is not a Piper voice
   * @throws IllegalStateException when espeak-ng is not installed
   */
  public static PiperTts open(Path model) {
    Path configFile = model == null ? null : model.resolveSibling(model.getFileName() + ".json");
    if (model == null || !Files.isRegularFile(model) || !Files.isRegularFile(configFile)) {
      throw new IllegalArgumentException("no Piper voice at " + model + " (it needs the .onnx file and its .onnx.json;"
          + " ./parley setup fetches one)");
    }
    JsonNode config;
    try {
      config = JSON.readTree(configFile.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(configFile + " is not readable JSON: " + e.getMessage(), e);
    }
    if (!config.path("phoneme_id_map").isObject() || !"espeak".equals(config.path("phoneme_type").asText("espeak"))) {
      throw new IllegalArgumentException(configFile + " is not a Piper voice config with espeak phonemes");
    }
    requireEspeak();
    try {
      OrtSession.SessionOptions options = new OrtSession.SessionOptions();
      options.setIntraOpNumThreads(Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())));
      OrtSession session = OrtEnvironment.getEnvironment().createSession(model.toString(), options);
      if (!session.getInputNames().containsAll(List.of("input", "input_lengths", "scales"))) {
        session.close();
        throw new IllegalArgumentException(model + " is an ONNX model but not a Piper voice (inputs "
            + session.getInputNames() + ")");
      }
      return new PiperTts(model, config, session);
    } catch (OrtException e) {
      throw new IllegalArgumentException(model + " is not a loadable ONNX model: " + e.getMessage(), e);
    }
  }

  private static void requireEspeak() {
    try {
      Process probe = new ProcessBuilder("espeak-ng", "--version").redirectErrorStream(true).start();
      probe.getInputStream().readAllBytes();
      if (!probe.waitFor(10, TimeUnit.SECONDS) || probe.exitValue() != 0) {
        throw new IllegalStateException("espeak-ng did not answer --version");
      }
    } catch (IOException e) {
      throw new IllegalStateException("Piper voices need espeak-ng for phonemes: install Debian's espeak-ng"
          + " (./parley setup does)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking espeak-ng", e);
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte[] synthesize(String text, double speed) {
    if (!(speed > 0)) {
      throw new IllegalArgumentException("speed must be positive, got " + speed);
    }
    String phonemes = phonemes(text);
    if (phonemes.isBlank()) {
      return new byte[0];
    }
    long[] symbols = symbols(phonemes);
    float[] audio = infer(symbols, (float) (lengthScale / speed));
    float peak = 0.01f;
    for (float sample : audio) {
      peak = Math.max(peak, Math.abs(sample));
    }
    short[] pcm = new short[audio.length];
    for (int i = 0; i < audio.length; i++) {
      pcm[i] = (short) Math.round(audio[i] / peak * 29_000); // about -1 dBFS at the loudest point
    }
    return Pcm.bytes(Pcm.resample(pcm, sampleRate, 48_000));
  }

  /** IPA phonemes for {@code text}, clause by clause with the clause's punctuation kept (the voice uses it for prosody). */
  String phonemes(String text) {
    String clean = text == null ? "" : text.replaceAll("[\\p{Cntrl}]", " ").strip();
    List<String> clauses = new ArrayList<>();
    List<String> marks = new ArrayList<>();
    Matcher m = CLAUSE.matcher(clean);
    while (m.find()) {
      String clause = m.group();
      String words = clause.replaceAll("[,.;:!?]+$", "").strip();
      if (!words.isEmpty()) {
        clauses.add(words);
        marks.add(clause.substring(clause.replaceAll("[,.;:!?]+$", "").length()).isEmpty() ? ""
            : clause.substring(clause.length() - 1));
      }
    }
    if (clauses.isEmpty()) {
      return "";
    }
    // one espeak-ng run for the whole text: one clause per line in, one line of IPA per clause out
    List<String> lines = espeak(String.join("\n", clauses));
    StringBuilder out = new StringBuilder();
    if (lines.size() == clauses.size()) {
      for (int i = 0; i < lines.size(); i++) {
        out.append(out.length() == 0 ? "" : " ").append(lines.get(i).strip()).append(marks.get(i));
      }
    } else { // espeak split differently (numbers, abbreviations): keep its phonemes, end with the last mark
      out.append(String.join(" ", lines).strip()).append(marks.get(marks.size() - 1));
    }
    return out.toString().replaceAll("\\([a-z-]+\\)", ""); // language-switch markers, e.g. (fr)
  }

  private List<String> espeak(String clauses) {
    try {
      Process process = new ProcessBuilder("espeak-ng", "-q", "-v", espeakVoice, "--ipa", "--stdin")
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      try (OutputStream in = process.getOutputStream()) {
        in.write((clauses.replace("\n", ".\n") + "\n").getBytes(StandardCharsets.UTF_8));
      }
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
        process.destroyForcibly();
        throw new IllegalStateException("espeak-ng failed on the text (exit " + process.exitValue() + ")");
      }
      return out.lines().filter(l -> !l.isBlank()).toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run espeak-ng: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while phonemizing", e);
    }
  }

  /** The voice's symbol ids: BOS, then each known phoneme followed by the pad, then EOS. */
  long[] symbols(String phonemes) {
    List<Long> out = new ArrayList<>();
    long[] pad = ids.get((int) '_');
    add(out, ids.get((int) '^'));
    add(out, pad);
    phonemes.codePoints().forEach(cp -> {
      long[] known = ids.get(cp);
      if (known != null) {
        add(out, known);
        add(out, pad);
      }
    });
    add(out, ids.get((int) '$'));
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  private static void add(List<Long> out, long[] values) {
    if (values != null) {
      for (long v : values) {
        out.add(v);
      }
    }
  }

  private synchronized float[] infer(long[] symbols, float length) {
    try (OnnxTensor input = OnnxTensor.createTensor(env, LongBuffer.wrap(symbols), new long[] {1, symbols.length});
        OnnxTensor lengths = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {symbols.length}), new long[] {1});
        OnnxTensor scales = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {noiseScale, length, noiseW}),
            new long[] {3});
        OrtSession.Result result = session.run(Map.of("input", input, "input_lengths", lengths, "scales", scales))) {
      FloatBuffer audio = ((OnnxTensor) result.get(0)).getFloatBuffer();
      float[] out = new float[audio.remaining()];
      audio.get(out);
      return out;
    } catch (OrtException e) {
      throw new IllegalStateException("the Piper voice failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }
}
