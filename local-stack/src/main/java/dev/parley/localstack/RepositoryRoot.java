package dev.parley.localstack;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the Parley checkout from the working directory (tests run inside a module folder). */
final class RepositoryRoot {
  private RepositoryRoot() {}

  static Path find() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve("tools/ferretdb/go.mod")) && Files.exists(dir.resolve("parley"))) {
        return dir;
      }
    }
    throw new IllegalStateException("cannot find the Parley checkout above " + Path.of("").toAbsolutePath()
        + "; set the binary paths by environment instead");
  }
}
