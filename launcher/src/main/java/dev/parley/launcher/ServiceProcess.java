package dev.parley.launcher;

import dev.parley.localstack.ChildProcesses;
import dev.parley.localstack.JavaProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** One Parley service as a child JVM of the launcher, with its log in a file and an HTTP health check. */
final class ServiceProcess implements AutoCloseable {
  private final JavaProcess process;

  private ServiceProcess(JavaProcess process) {
    this.process = process;
  }

  static ServiceProcess start(String name, String mainClass, Map<String, String> env, Path logDir, String... args) {
    return new ServiceProcess(JavaProcess.start(name, mainClass, env, logDir.resolve(name + ".log"), args));
  }

  /** Waits until {@code url} answers 200, failing with the log's tail if the process dies or time runs out. */
  void awaitHealthy(String url, Duration timeout) {
    if (!ChildProcesses.awaitHttpOk(url, timeout, process::requireAlive)) {
      throw new IllegalStateException(process.name() + " not healthy after " + timeout.toSeconds() + " s; log "
          + process.log() + ":\n" + process.tail());
    }
  }

  /** Waits until the service logs {@code text}. */
  void awaitLog(String text, Duration timeout) {
    process.awaitLog(text, timeout);
  }

  Path log() {
    return process.log();
  }

  @Override
  public void close() {
    process.close();
  }
}
