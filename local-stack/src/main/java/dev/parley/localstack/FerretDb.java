package dev.parley.localstack;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.time.Duration;

/**
 * A real MongoDB wire-protocol database process: FerretDB with its SQLite backend (our small
 * launcher in {@code tools/ferretdb}), on 127.0.0.1, keeping its data in a folder so it survives a
 * restart. The binary is built once with {@code go build} and cached in {@code .parley/bin}.
 */
public final class FerretDb implements AutoCloseable {
  public static final String BINARY_ENV = "PARLEY_FERRETDB_BIN";
  private final Process process;
  private final int port;

  private FerretDb(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts FerretDB on {@code port} (0 picks one) with data in {@code dataDir}; returns once it accepts connections. */
  public static FerretDb start(Path dataDir, int port) {
    int chosen = port == 0 ? FreePorts.pick() : port;
    FreePorts.requireFree(chosen, "FerretDB");
    try {
      Files.createDirectories(dataDir);
      Process process = new ProcessBuilder(List.of(binary().toString(), "-listen", "127.0.0.1:" + chosen, "-data",
          dataDir.toAbsolutePath().toString()))
          .redirectError(dataDir.resolve("ferretdb.log").toFile())
          .start();
      FerretDb db = new FerretDb(process, chosen);
      Runtime.getRuntime().addShutdownHook(new Thread(db::close, "ferretdb-stop"));
      CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> readyLine(process));
      try {
        ready.get(60, TimeUnit.SECONDS);
      } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
        db.close();
        throw new IllegalStateException("FerretDB did not start: " + KafkaBroker.tail(dataDir.resolve("ferretdb.log")), e);
      }
      return db;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start FerretDB", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting FerretDB", e);
    }
  }

  private static String readyLine(Process process) {
    try {
      BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (line.startsWith("FERRETDB_READY")) {
          return line;
        }
      }
      throw new IllegalStateException("FerretDB exited with code " + process.waitFor());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** {@code mongodb://127.0.0.1:port/} */
  public String uri() {
    return "mongodb://127.0.0.1:" + port + "/";
  }

  public int port() {
    return port;
  }

  /** SIGKILL, as a crash. */
  public void kill() {
    ChildProcesses.kill(process);
  }

  @Override
  public void close() {
    ChildProcesses.stop(process, Duration.ofSeconds(15));
  }

  /** The launcher binary: {@code $PARLEY_FERRETDB_BIN}, else {@code .parley/bin/parley-ferretdb}, built if missing. */
  public static synchronized Path binary() {
    return GoTools.binary(BINARY_ENV, "parley-ferretdb", (root, out) -> GoTools.build(root.resolve("tools/ferretdb"), out));
  }
}
