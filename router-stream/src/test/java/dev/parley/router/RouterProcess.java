package dev.parley.router;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real router-stream instance in its own JVM, so a test can kill it with SIGKILL. */
final class RouterProcess implements AutoCloseable {
  private final Process process;
  final Path log;

  private RouterProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  static RouterProcess start(Map<String, String> env, Path log) {
    ProcessBuilder builder = new ProcessBuilder(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.parley.events",
        "-cp", System.getProperty("java.class.path"), RouterMain.class.getName()))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    try {
      return new RouterProcess(builder.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGKILL: no shutdown hook, no final commit, exactly what a crashed pod does. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      kill();
    }
  }
}
