package dev.parley.speech;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the model files ./parley setup fetches are, for the tests that run them for real. */
final class ModelFiles {
  private ModelFiles() {}

  /** The file {@code variable} names, else {@code .parley/models/<name>} above the working directory, else null. */
  static Path find(String variable, String name) {
    String fromEnv = System.getenv(variable);
    if (fromEnv != null && Files.isRegularFile(Path.of(fromEnv))) {
      return Path.of(fromEnv);
    }
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve(".parley/models").resolve(name);
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
