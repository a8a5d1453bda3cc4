package dev.parley.speech;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Voice activity from the Silero VAD neural model (ONNX, version 5 interface) through ONNX Runtime:
 * the caller's audio at 16 kHz in windows of 512 samples (32 ms) with 64 samples of context, a
 * recurrent state carried from window to window, and a speech probability out. Hysteresis turns the
 * probability into a decision: voiced from {@link #START} up, unvoiced below {@link #STOP}. Unlike
 * {@link EnergyVad} it tells speech from other loud sounds (noise, music, a fan).
 *
 * <p>One {@link Model} (the loaded network) is shared by every caller of a process; each caller has
 * its own {@code SileroVad} with its own state.
 */
public final class SileroVad implements VoiceActivity {
  public static final float START = 0.5f;
  public static final float STOP = 0.35f;
  private static final int WINDOW = 512;
  private static final int CONTEXT = 64;

  private final Model model;
  private final float[] input = new float[CONTEXT + WINDOW];
  private float[] state = new float[2 * 128];
  private final short[] pending = new short[WINDOW];
  private int filled;
  private boolean voiced;
  private float probability;

  SileroVad(Model model) {
    this.model = model;
  }

  @Override
  public boolean voiced(short[] frame48k) {
    VoiceActivity.checkFrame(frame48k);
    short[] frame16k = Pcm.down3(frame48k);
    for (short sample : frame16k) {
      pending[filled++] = sample;
      if (filled == WINDOW) {
        filled = 0;
        probability = window();
        if (probability >= START) {
          voiced = true;
        } else if (probability < STOP) {
          voiced = false;
        }
      }
    }
    return voiced;
  }

  /** The speech probability of the last full window. */
  public float probability() {
    return probability;
  }

  @Override
  public String name() {
    return "silero";
  }

  private float window() {
    System.arraycopy(input, WINDOW, input, 0, CONTEXT); // the last window's tail is this one's context
    for (int i = 0; i < WINDOW; i++) {
      input[CONTEXT + i] = pending[i] / 32768f;
    }
    Model.Result result = model.run(input, state);
    state = result.state();
    return result.probability();
  }

  /** The loaded Silero network: open once per process, share across callers (ONNX Runtime runs are thread-safe). */
  public static final class Model implements AutoCloseable {
    private static final Set<String> INPUTS = Set.of("input", "state", "sr");
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final Path file;

    private Model(Path file, OrtSession session) {
      this.file = file;
      this.session = session;
    }

    /**
     * Loads the model file.
     *
     * @throws IllegalArgumentException when the file is missing, is not an ONNX model, or is not a
     *     Silero VAD model (its inputs are not input, state and sr)
     */
    public static Model open(Path file) {
      if (file == null || !Files.isRegularFile(file)) {
        throw new IllegalArgumentException("no Silero VAD model at " + file + " (./parley setup fetches it)");
      }
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1); // tiny windows: threads cost more than they give, and the cores are shared
        options.setInterOpNumThreads(1);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        OrtSession session = env.createSession(file.toString(), options);
        if (!session.getInputNames().equals(INPUTS)) {
          session.close();
          throw new IllegalArgumentException(file + " is an ONNX model but not Silero VAD v5 (inputs "
              + session.getInputNames() + ", expected " + INPUTS + ")");
        }
        return new Model(file, session);
      } catch (OrtException e) {
        throw new IllegalArgumentException(file + " is not a loadable ONNX model: " + e.getMessage(), e);
      }
    }

    /** A new detector with its own state, for one caller. */
    public SileroVad newDetector() {
      return new SileroVad(this);
    }

    public Path file() {
      return file;
    }

    record Result(float probability, float[] state) {}

    Result run(float[] input, float[] state) {
      try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {1, input.length});
          OnnxTensor st = OnnxTensor.createTensor(env, FloatBuffer.wrap(state), new long[] {2, 1, 128});
          OnnxTensor sr = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {16_000}), new long[0]);
          OrtSession.Result out = session.run(Map.of("input", in, "state", st, "sr", sr))) {
        float probability = ((float[][]) out.get(0).getValue())[0][0];
        OnnxValue next = out.get(1);
        FloatBuffer buffer = ((OnnxTensor) next).getFloatBuffer();
        float[] nextState = new float[buffer.remaining()];
        buffer.get(nextState);
        return new Result(probability, nextState);
      } catch (OrtException e) {
        throw new IllegalStateException("the Silero VAD model failed on a window: " + e.getMessage(), e);
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
}
