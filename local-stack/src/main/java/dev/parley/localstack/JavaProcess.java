package dev.parley.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A main class of this classpath run as a child JVM, its output appended to a log file: how the
 * launcher runs services and how tests kill one with SIGKILL.
 */
public final class JavaProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  /** Where this run's output starts in the (appended-to) log file. */
  private final long logStart;

  private JavaProcess(String name, Process process, Path log, long logStart) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.logStart = logStart;
  }

  public static JavaProcess start(String name, String mainClass, Map<String, String> env, Path log, String... args) {
    return start(name, mainClass, List.of(), env, log, args);
  }

  /** As above, with extra JVM options (for example {@code -Xlog:gc:file=...} to see the process's GC pauses). */
  public static JavaProcess start(String name, String mainClass, List<String> jvmOptions, Map<String, String> env,
      Path log, String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m", "-XX:+UseSerialGC",
        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=dev.parley.events"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    command.addAll(List.of(args));
    try {
      Files.createDirectories(log.toAbsolutePath().getParent());
      long logStart = Files.exists(log) ? Files.size(log) : 0;
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().putAll(env);
      builder.environment().put("PARLEY_SERVICE", name);
      Process process = builder.start();
      process.getOutputStream().close();
      // a test that fails before closing its processes must not leave them running after the JVM exits
      Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "stop-" + name));
      return new JavaProcess(name, process, log, logStart);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name, e);
    }
  }

  /** Waits until the log has a line containing {@code text}; fails with the log's tail if the process dies first. */
  public JavaProcess awaitLog(String text, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      requireAlive();
      if (logText().contains(text)) {
        return this;
      }
      ChildProcesses.sleep(100);
    }
    throw new IllegalStateException(name + " did not log '" + text + "' within " + timeout.toSeconds() + " s:\n"
        + tail());
  }

  public void requireAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(name + " exited with code " + process.exitValue() + "; log " + log + ":\n"
          + tail());
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String name() {
    return name;
  }

  public Path log() {
    return log;
  }

  public long pid() {
    return process.pid();
  }

  /** SIGKILL: no shutdown hook, no final commit, exactly what a crashed pod does. */
  public void kill() {
    ChildProcesses.kill(process);
  }

  public String tail() {
    String[] lines = logText().split("\n");
    return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 25), lines.length));
  }

  /** This run's output (earlier runs' lines in the same file are skipped). */
  private String logText() {
    try {
      if (!Files.exists(log)) {
        return "";
      }
      byte[] all = Files.readAllBytes(log);
      int from = (int) Math.min(all.length, logStart);
      return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }


  /** SIGTERM (a clean stop), then SIGKILL after 20 s. */
  @Override
  public void close() {
    ChildProcesses.stop(process, Duration.ofSeconds(20));
  }
}
