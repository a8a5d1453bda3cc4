package dev.parley.speech;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Which voice activity detector a process uses, from its settings: {@code silero} (the model must
 * load, or the service refuses to start), {@code energy}, or {@code auto} (Silero when its model file
 * is there, else energy, and says why).
 */
public final class VoiceActivityDetectors implements Supplier<VoiceActivity>, AutoCloseable {
  private final String description;
  private final SileroVad.Model model;
  private final int floorRms;

  private VoiceActivityDetectors(String description, SileroVad.Model model, int floorRms) {
    this.description = description;
    this.model = model;
    this.floorRms = floorRms;
  }

  /**
   * @param mode silero, energy or auto
   * @param modelFile the Silero ONNX file (may be null or blank unless mode is silero)
   * @param floorRms the energy detector's floor
   * @throws IllegalArgumentException for an unknown mode, or mode silero without a loadable model
   */
  public static VoiceActivityDetectors choose(String mode, String modelFile, int floorRms) {
    Path file = modelFile == null || modelFile.isBlank() ? null : Path.of(modelFile);
    switch (mode) {
      case "energy":
        return new VoiceActivityDetectors("energy (floor RMS " + floorRms + ")", null, floorRms);
      case "silero":
        return silero(file, floorRms);
      case "auto":
        if (file != null && Files.isRegularFile(file)) {
          return silero(file, floorRms);
        }
        return new VoiceActivityDetectors("energy (floor RMS " + floorRms + "), because "
            + (file == null ? "PARLEY_VAD_MODEL is not set" : "there is no Silero model at " + file)
            + "; ./parley setup fetches it", null, floorRms);
      default:
        throw new IllegalArgumentException("unknown voice activity detector '" + mode + "' (silero, energy or auto)");
    }
  }

  private static VoiceActivityDetectors silero(Path file, int floorRms) {
    SileroVad.Model model = SileroVad.Model.open(file);
    return new VoiceActivityDetectors("silero (" + file + ")", model, floorRms);
  }

  /** A new detector for one caller. */
  @Override
  public VoiceActivity get() {
    return model != null ? model.newDetector() : new EnergyVad(floorRms);
  }

  /** What was chosen and why, for the start-up log. */
  public String description() {
    return description;
  }

  @Override
  public void close() {
    if (model != null) {
      model.close();
    }
  }
}
