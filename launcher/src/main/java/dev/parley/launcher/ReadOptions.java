package dev.parley.launcher;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command that reads the topics shares: the broker, and where the report goes. */
final class ReadOptions {
  @Option(names = "--out", description = "write to this file instead of standard output")
  Path out;

  @Option(names = "--kafka", description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE})")
  String bootstrap = Defaults.kafka();

  PrintStream stdout = System.out;
  PrintStream stderr = System.err;

  /** Writes the report to {@code --out} (saying where) or to standard output. */
  void write(String content) throws IOException {
    Output.write(content, out, stdout, stderr);
  }
}
