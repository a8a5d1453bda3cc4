package dev.parley.speech;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Offline text-to-speech with CMU Flite (Debian's {@code flite}, installed by setup), run as a program for
 * each sentence: about 50 ms a sentence, 16 kHz, resampled to the room's 48 kHz. Its clustergen voices are
 * {@code slt} (US English, female), {@code rms} (US English, male) and {@code awb} (Scottish English, male):
 * synthetic but clear (Moonshine mishears 6–8 % of their words; FreeTTS's kevin16, a port of an older
 * Flite voice, 15 %). The speed and the style's rate stretch the durations, the style's volume scales the
 * samples; Flite has no pitch control for these voices.
 */
public final class FliteTts implements TextToSpeech {
  /** The voices this class speaks with. */
  public static final List<String> VOICES = List.of("slt", "rms", "awb");
  private final String program;
  private final String voice;

  /**
   * @param program the flite program ({@code flite} on the PATH when blank)
   * @throws IllegalArgumentException for a voice not in {@link #VOICES}
   */
  public FliteTts(String program, String voice) {
    if (!VOICES.contains(voice)) {
      throw new IllegalArgumentException("Flite has no voice '" + voice + "' here (voices: " + VOICES + ")");
    }
    this.program = program == null || program.isBlank() ? "flite" : program;
    this.voice = voice;
  }

  /** Whether {@code program} runs here, so that a caller can fall back with one clear line when it does not. */
  public static boolean available(String program) {
    try {
      Process p = new ProcessBuilder(program == null || program.isBlank() ? "flite" : program, "--version")
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.waitFor(10, TimeUnit.SECONDS) && out.contains("flite"); // --version exits 1
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public String name() {
    return "flite:" + voice;
  }

  @Override
  public byte[] synthesize(String text, double speed) {
    // flite seeks in its output file, so it cannot write to a pipe; the text goes through a file too, so that
    // a sentence starting with '-' is never read as an option
    Path textFile = null;
    Path wavFile = null;
    try {
      textFile = Files.createTempFile("parley-flite", ".txt");
      wavFile = Files.createTempFile("parley-flite", ".wav");
      Files.writeString(textFile, text.isBlank() ? "" : text.strip());
      double stretch = 1.0 / Math.max(0.25, Math.min(4.0, speed));
      Process p = new ProcessBuilder(program, "-voice", voice, "--setf", "duration_stretch=" + stretch,
          "-f", textFile.toString(), "-o", wavFile.toString()).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("flite did not finish within 30 s");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException("flite failed (exit " + p.exitValue() + "): " + output);
      }
      Pcm.Wav wav = Pcm.readWav(Files.readAllBytes(wavFile));
      // Flite's voices are 16 kHz: the fixed 3× filter is ~20× faster than the general resampler
      return Pcm.bytes(wav.rate() == 16_000 ? Pcm.up3(wav.samples()) : Pcm.resample(wav.samples(), wav.rate(), 48_000));
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + program + " (Debian's flite; ./parley setup installs it): "
          + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while speaking", e);
    } finally {
      delete(textFile);
      delete(wavFile);
    }
  }

  private static void delete(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // a temporary file left behind is harmless
      }
    }
  }
}
