package dev.parley.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The real LiveKit server (v1.13.5, built from its Go module) in dev mode, entirely on 127.0.0.1:
 * HTTP/WebSocket on {@code port}, ICE/TCP on port+1, one UDP mux port on port+2, loopback ICE
 * candidates on. Keys: {@code devkey} / {@code secret}.
 */
public final class LiveKitServer implements AutoCloseable {
  public static final String BINARY_ENV = "PARLEY_LIVEKIT_BIN";
  public static final String VERSION = "v1.13.5";
  public static final String API_KEY = "devkey";
  public static final String API_SECRET = "secret";
  private final Process process;
  private final int port;

  private LiveKitServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts the server (port 0 picks three consecutive free ports) and waits until it answers HTTP. */
  public static LiveKitServer start(Path logDir, int port) {
    return start(logDir, port, null);
  }

  /** Starts the server inside {@code namespace}; ready once it logs that it started. */
  public static LiveKitServer start(Path logDir, int port, NetworkNamespace namespace) {
    int http = port == 0 ? freeTriple() : port;
    for (int p = http; p < http + 3; p++) {
      FreePorts.requireFree(p, "LiveKit server");
    }
    String config = String.join("\n", "port: " + http, "rtc:", "  tcp_port: " + (http + 1),
        "  udp_port: " + (http + 2), "  enable_loopback_candidate: true", "keys:", "  " + API_KEY + ": " + API_SECRET,
        "logging:", "  level: info", "");
    try {
      Files.createDirectories(logDir);
      List<String> command = List.of(binary().toString(), "--dev", "--bind", "127.0.0.1",
          "--node-ip", "127.0.0.1", "--config-body", config);
      Process process = new ProcessBuilder(namespace == null ? command : namespace.command(command))
          .redirectErrorStream(true)
          .redirectOutput(logDir.resolve("livekit.log").toFile())
          .start();
      LiveKitServer server = new LiveKitServer(process, http);
      Runtime.getRuntime().addShutdownHook(new Thread(server::close, "livekit-stop"));
      if (namespace == null) {
        server.awaitReady(logDir.resolve("livekit.log"));
      } else {
        server.awaitLog(logDir.resolve("livekit.log"), "starting LiveKit server");
      }
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the LiveKit server", e);
    }
  }

  /** A port whose next two are free as well (HTTP/signal, RTC TCP, RTC UDP), for a server restarted on the same ports. */
  public static int freeTriple() {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = FreePorts.pick();
      try {
        FreePorts.requireFree(base + 1, "");
        FreePorts.requireFree(base + 2, "");
        return base;
      } catch (IllegalStateException taken) {
        // try another
      }
    }
    throw new IllegalStateException("no three consecutive free loopback ports");
  }

  private void awaitLog(Path log, String line) throws IOException {
    Instant deadline = Instant.now().plusSeconds(60);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("LiveKit server exited: " + KafkaBroker.tail(log));
      }
      if (Files.exists(log) && Files.readString(log).contains(line)) {
        ChildProcesses.sleep(300); // listeners open right after this line
        return;
      }
      ChildProcesses.sleep(100);
    }
    close();
    throw new IllegalStateException("LiveKit server not started after 60 s: " + KafkaBroker.tail(log));
  }

  private void awaitReady(Path log) {
    Runnable alive = () -> {
      if (!process.isAlive()) {
        throw new IllegalStateException("LiveKit server exited: " + KafkaBroker.tail(log));
      }
    };
    if (!ChildProcesses.awaitHttpOk(httpUrl(), Duration.ofSeconds(60), alive)) {
      close();
      throw new IllegalStateException("LiveKit server not ready after 60 s: " + KafkaBroker.tail(log));
    }
  }

  public String httpUrl() {
    return "http://127.0.0.1:" + port;
  }

  public String wsUrl() {
    return "ws://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** SIGKILL: a crashed server, for connection-loss tests. */
  public void kill() {
    ChildProcesses.kill(process);
  }

  @Override
  public void close() {
    ChildProcesses.stop(process, Duration.ofSeconds(10));
  }

  /** {@code $PARLEY_LIVEKIT_BIN}, else {@code .parley/bin/livekit-server}, built with {@code go install} if missing. */
  public static synchronized Path binary() {
    return GoTools.binary(BINARY_ENV, "livekit-server",
        (root, out) -> GoTools.install("github.com/livekit/livekit-server/cmd/server@" + VERSION, out));
  }
}
