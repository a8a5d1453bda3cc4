package dev.parley.speech;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Offline speech-to-text: CMU PocketSphinx (Debian's {@code pocketsphinx} and
 * {@code pocketsphinx-en-us}) through JNA, US English acoustic model, language model and dictionary.
 * Decoders (one per utterance in progress) come from a small pool, so rooms are transcribed side by
 * side. Each utterance is decoded whole when the turn ends: decoding while the caller speaks cut the
 * wait after the turn from about 275 to 66 ms, but with live cepstral normalization starting from
 * its defaults a fresh decoder misheard the first turn of a call much worse ("my god what innocent
 * where been" for "my account login isn't working"), so whole-utterance decoding stays.
 */
public final class PocketSphinxStt implements SpeechToText {
  public static final Path MODEL = Path.of("/usr/share/pocketsphinx/model/en-us");

  /** The C API of libpocketsphinx 0.8 (5prealpha) and libsphinxbase. */
  interface Sphinx extends Library {
    Pointer ps_args();

    Pointer cmd_ln_init(Pointer inout, Pointer defn, int strict, Object... keysAndValues);

    Pointer ps_init(Pointer config);

    int ps_start_utt(Pointer decoder);

    int ps_process_raw(Pointer decoder, short[] data, long samples, int noSearch, int fullUtt);

    int ps_end_utt(Pointer decoder);

    String ps_get_hyp(Pointer decoder, IntByReference score);

    int ps_get_prob(Pointer decoder);

    int ps_free(Pointer decoder);
  }

  private static final int IDLE_DECODERS = 4;
  private final Sphinx sphinx;
  private final Pointer config;
  private final Deque<Pointer> idle = new ArrayDeque<>();
  private boolean closed;

  public PocketSphinxStt() {
    if (!Files.isDirectory(MODEL)) {
      throw new IllegalStateException("PocketSphinx model not found in " + MODEL
          + ": install Debian's pocketsphinx and pocketsphinx-en-us (./parley setup does)");
    }
    NativeLibraries.preload("sphinxbase");
    this.sphinx = Native.load("pocketsphinx", Sphinx.class);
    this.config = sphinx.cmd_ln_init(null, sphinx.ps_args(), 1,
        "-hmm", MODEL.resolve("en-us").toString(),
        "-lm", MODEL.resolve("en-us.lm.bin").toString(),
        "-dict", MODEL.resolve("cmudict-en-us.dict").toString(),
        "-logfn", "/dev/null",
        null);
    if (config == null) {
      throw new IllegalStateException("PocketSphinx rejected its configuration");
    }
    give(take()); // load the model now: a missing or broken one fails at start-up, not on the first caller
  }

  private Pointer take() {
    synchronized (idle) {
      if (closed) {
        throw new IllegalStateException("PocketSphinx is closed");
      }
      if (!idle.isEmpty()) {
        return idle.pop();
      }
    }
    Pointer decoder = sphinx.ps_init(config);
    if (decoder == null) {
      throw new IllegalStateException("PocketSphinx could not load its model from " + MODEL);
    }
    return decoder;
  }

  private void give(Pointer decoder) {
    synchronized (idle) {
      if (!closed && idle.size() < IDLE_DECODERS) {
        idle.push(decoder);
        return;
      }
    }
    sphinx.ps_free(decoder);
  }

  private Transcript result(Pointer decoder, long startNanos) {
    sphinx.ps_end_utt(decoder);
    IntByReference score = new IntByReference();
    String text = sphinx.ps_get_hyp(decoder, score);
    int logProbability = sphinx.ps_get_prob(decoder);
    // ps_get_prob is a log-probability in PocketSphinx's log base (1.0001); map it to 0..1.
    double confidence = Math.max(0, Math.min(1, Math.pow(1.0001, logProbability)));
    return new Transcript(text == null ? "" : text.strip(), confidence, (System.nanoTime() - startNanos) / 1_000_000);
  }

  @Override
  public Transcript transcribe(short[] pcm16k) {
    long start = System.nanoTime();
    Pointer decoder = take();
    try {
      sphinx.ps_start_utt(decoder);
      sphinx.ps_process_raw(decoder, pcm16k, pcm16k.length, 0, 1);
      return result(decoder, start);
    } finally {
      give(decoder);
    }
  }

  @Override
  public String name() {
    return "pocketsphinx";
  }

  @Override
  public void close() {
    synchronized (idle) {
      closed = true;
      idle.forEach(sphinx::ps_free);
      idle.clear();
    }
  }
}
