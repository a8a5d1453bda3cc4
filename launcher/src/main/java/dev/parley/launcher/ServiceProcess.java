package dev.parley.launcher;

import dev.parley.localstack.ChildProcesses;
import dev.parley.localstack.JavaProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** One Parley service as a child JVM of the launcher, with its log in a file and an HTTP health check. */
final class ServiceProcess implements AutoCloseable {
  /** Restarts allowed in a minute before the launcher gives up on a service that keeps exiting. */
  static final int MAX_RESTARTS_PER_MINUTE = 5;
  private final String name;
  private final String mainClass;
  private final Map<String, String> env;
  private final Path logDir;
  private final String[] args;
  private final java.util.Deque<Long> restarts = new java.util.ArrayDeque<>();
  private volatile JavaProcess process;
  private volatile boolean closing;
  private boolean gaveUp;

  private ServiceProcess(String name, String mainClass, Map<String, String> env, Path logDir, String[] args) {
    this.name = name;
    this.mainClass = mainClass;
    this.env = Map.copyOf(env);
    this.logDir = logDir;
    this.args = args.clone();
    this.process = JavaProcess.start(name, mainClass, env, logDir.resolve(name + ".log"), args);
  }

  static ServiceProcess start(String name, String mainClass, Map<String, String> env, Path logDir, String... args) {
    return new ServiceProcess(name, mainClass, env, logDir, args);
  }

  /**
   * If the service died, starts it again (its consumers rejoin their groups and pick up where the
   * committed offsets are) and returns what happened, with the dead process's last log lines; after
   * {@value #MAX_RESTARTS_PER_MINUTE} restarts in a minute it stops trying and says so once. Null
   * when nothing happened.
   */
  synchronized String restartIfDead() {
    if (closing || gaveUp || process.isAlive()) {
      return null;
    }
    String tail = process.tail();
    long now = System.currentTimeMillis();
    while (!restarts.isEmpty() && now - restarts.peekFirst() > 60_000) {
      restarts.removeFirst();
    }
    if (restarts.size() >= MAX_RESTARTS_PER_MINUTE) {
      gaveUp = true;
      return name + " keeps exiting (" + MAX_RESTARTS_PER_MINUTE + " restarts within a minute); not restarting it"
          + " again. Log " + process.log() + ":\n" + tail;
    }
    restarts.addLast(now);
    process = JavaProcess.start(name, mainClass, env, logDir.resolve(name + ".log"), args);
    return name + " exited unexpectedly; restarted it (" + restarts.size() + " in the last minute). Its last log"
        + " lines:\n" + tail;
  }

  String name() {
    return name;
  }

  boolean isAlive() {
    return process.isAlive();
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
    closing = true;
    process.close();
  }
}
