package dev.parley.speech;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Offline speech-to-text: CMU PocketSphinx (Debian's {@code pocketsphinx} and
 * {@code pocketsphinx-en-us}) through JNA, US English acoustic model, language model and dictionary.
 * One decoder per instance; calls are serialized.
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

  private final Sphinx sphinx;
  private final Pointer decoder;

  public PocketSphinxStt() {
    if (!Files.isDirectory(MODEL)) {
      throw new IllegalStateException("PocketSphinx model not found in " + MODEL
          + ": install Debian's pocketsphinx and pocketsphinx-en-us (./parley setup does)");
    }
    NativeLibraries.preload("sphinxbase");
    this.sphinx = Native.load("pocketsphinx", Sphinx.class);
    Pointer config = sphinx.cmd_ln_init(null, sphinx.ps_args(), 1,
        "-hmm", MODEL.resolve("en-us").toString(),
        "-lm", MODEL.resolve("en-us.lm.bin").toString(),
        "-dict", MODEL.resolve("cmudict-en-us.dict").toString(),
        "-logfn", "/dev/null",
        null);
    if (config == null) {
      throw new IllegalStateException("PocketSphinx rejected its configuration");
    }
    this.decoder = sphinx.ps_init(config);
    if (decoder == null) {
      throw new IllegalStateException("PocketSphinx could not load its model from " + MODEL);
    }
  }

  @Override
  public String name() {
    return "pocketsphinx";
  }

  @Override
  public synchronized Transcript transcribe(short[] pcm16k) {
    long start = System.nanoTime();
    sphinx.ps_start_utt(decoder);
    sphinx.ps_process_raw(decoder, pcm16k, pcm16k.length, 0, 1);
    sphinx.ps_end_utt(decoder);
    IntByReference score = new IntByReference();
    String text = sphinx.ps_get_hyp(decoder, score);
    int logProbability = sphinx.ps_get_prob(decoder);
    // ps_get_prob is a log-probability in PocketSphinx's log base (1.0001); map it to 0..1.
    double confidence = Math.max(0, Math.min(1, Math.pow(1.0001, logProbability)));
    return new Transcript(text == null ? "" : text.strip(), confidence, (System.nanoTime() - start) / 1_000_000);
  }

  @Override
  public synchronized void close() {
    sphinx.ps_free(decoder);
  }
}
