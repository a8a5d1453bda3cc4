package dev.parley.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where a report goes: a file (its path printed) or standard output. */
final class Output {
  private Output() {}

  static void write(String content, Path file, PrintStream out, PrintStream err) throws IOException {
    if (file == null) {
      out.print(content);
      out.flush();
      return;
    }
    if (file.getParent() != null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
    }
    Files.writeString(file, content);
    err.println("wrote " + file.toAbsolutePath());
  }
}
