package dev.parley.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One llama.cpp {@code llama-server} child process serving one GGUF model on 127.0.0.1, and the calls
 * this project makes to it: a streamed raw-prompt completion ({@code POST /completion}) that keeps
 * each prompt in the server's cache, so a conversation's next turn reads only its new tokens.
 *
 * <p>The child dies with this JVM even on SIGKILL: it runs under a small shell that kills it when its
 * standard input, a pipe from this JVM, closes.
 */
final class LlamaServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LlamaServer.class);
  /** Runs the server and kills it once our end of its standard input is gone (this JVM exited). */
  private static final String WATCHDOG = "exec 3<&0; \"$@\" </dev/null & child=$!; "
      + "( while read -r _ <&3; do :; done; kill $child 2>/dev/null ) & wait $child";
  private final Process process;
  private final String baseUrl;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final Deque<String> lastLines = new ArrayDeque<>();

  /** A server already running on {@code port} as {@code process} (tests give a stand-in for the port). */
  LlamaServer(Process process, int port) {
    this.process = process;
    this.baseUrl = "http://127.0.0.1:" + port;
  }

  /** Starts the server on {@code model} and waits until it has loaded it; a clear error if it cannot. */
  static LlamaServer start(Path binary, Path model, int threads, int slots, int contextPerSlot, Duration loadTimeout) {
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException("llama-server not found at " + binary
          + ": run ./parley setup to build it, or set PARLEY_LLAMA_SERVER");
    }
    if (!Files.isReadable(model)) {
      throw new IllegalStateException("local model " + model + " not found: run ./parley setup to fetch it");
    }
    int port = freePort();
    List<String> command = new ArrayList<>(List.of("sh", "-c", WATCHDOG, "llama-server", binary.toString(),
        "--model", model.toString(), "--host", "127.0.0.1", "--port", String.valueOf(port),
        "--threads", String.valueOf(threads), "--parallel", String.valueOf(slots),
        "--ctx-size", String.valueOf(contextPerSlot * slots), "--cache-ram", "1024", "--no-webui"));
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start llama-server " + binary + ": " + e.getMessage(), e);
    }
    LlamaServer server = new LlamaServer(process, port);
    Thread reader = new Thread(() -> server.keepLog(process.getInputStream()), "llama-server-log");
    reader.setDaemon(true);
    reader.start();
    long deadline = System.nanoTime() + loadTimeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("cannot load the local model " + model + " (corrupt or not a GGUF file?"
            + " run ./parley setup to fetch it again): llama-server said: " + server.lastLog());
      }
      if (server.healthy()) {
        return server;
      }
      sleep(100);
    }
    server.close();
    throw new IllegalStateException("llama-server did not load " + model + " within " + loadTimeout.toSeconds()
        + " s: " + server.lastLog());
  }

  /** Keeps the server's last lines for error messages, and all of them in {@code PARLEY_LLAMA_LOG} if set. */
  private void keepLog(InputStream in) {
    String logFile = System.getenv("PARLEY_LLAMA_LOG");
    java.io.Writer copy = null;
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      if (logFile != null && !logFile.isBlank()) {
        copy = Files.newBufferedWriter(Path.of(logFile), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
            java.nio.file.StandardOpenOption.APPEND);
      }
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        if (copy != null) {
          copy.write(line);
          copy.write('\n');
          copy.flush();
        }
        synchronized (lastLines) {
          lastLines.addLast(line);
          if (lastLines.size() > 8) {
            lastLines.removeFirst();
          }
        }
      }
    } catch (IOException e) {
      // the process is gone
    } finally {
      if (copy != null) {
        try {
          copy.close();
        } catch (IOException e) {
          // nothing more to keep
        }
      }
    }
  }

  String lastLog() {
    synchronized (lastLines) {
      return String.join(" | ", lastLines);
    }
  }

  private boolean healthy() {
    try {
      HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/health"))
          .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** What one completion cost: prompt tokens actually evaluated (not taken from the cache) and tokens generated. */
  record Result(String text, int promptEvaluated, int promptCached, int generated, long firstTokenNanos,
      String stopReason) {
    boolean cancelled() {
      return "cancelled".equals(stopReason);
    }
  }

  /**
   * Streams a completion of a raw prompt. {@code body} carries the sampling and grammar settings;
   * this adds the prompt, streaming and prompt caching. Each piece of text goes to {@code onPiece}.
   */
  Result complete(String prompt, ObjectNode body, Duration timeout, Consumer<String> onPiece) {
    return complete(prompt, body, timeout, onPiece, () -> false);
  }

  /**
   * As above; once {@code cancel} answers true (asked after each piece), the stream is closed, which makes
   * the server drop the request, and the result says {@code cancelled} with the text so far.
   */
  Result complete(String prompt, ObjectNode body, Duration timeout, Consumer<String> onPiece,
      java.util.function.BooleanSupplier cancel) {
    try {
      return completeOnce(prompt, body, timeout, onPiece, cancel);
    } catch (StaleConnectionException e) {
      // a pooled connection the server had already closed (it drops idle ones after 5 s): nothing was read or said
      // yet, so the same request goes again on a new connection
      log.info("local model server closed a kept-alive connection ({}); sending the request again", e.getMessage());
      try {
        return completeOnce(prompt, body, timeout, onPiece, cancel);
      } catch (StaleConnectionException again) {
        throw failed((IOException) again.getCause());
      }
    }
  }

  private LlmProvider.LlmException failed(IOException e) {
    return new LlmProvider.LlmException("local model server failed: " + e.getMessage()
        + (process.isAlive() ? "" : " (llama-server exited: " + lastLog() + ")"), e);
  }

  /** The server closed the connection before answering anything: safe to send the request again. */
  private static final class StaleConnectionException extends Exception {
    StaleConnectionException(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  private Result completeOnce(String prompt, ObjectNode body, Duration timeout, Consumer<String> onPiece,
      java.util.function.BooleanSupplier cancel) throws StaleConnectionException {
    ObjectNode request = body.deepCopy();
    request.put("prompt", prompt);
    request.put("stream", true);
    request.put("cache_prompt", true);
    HttpRequest http = HttpRequest.newBuilder(URI.create(baseUrl + "/completion")).timeout(timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(request.toString())).build();
    long start = System.nanoTime();
    long first = -1;
    StringBuilder text = new StringBuilder();
    JsonNode last = null;
    try {
      HttpResponse<Stream<String>> response = this.http.send(http, HttpResponse.BodyHandlers.ofLines());
      if (response.statusCode() != 200) {
        String error = String.join(" ", response.body().toList());
        throw new LlmProvider.LlmException("local model server answered " + response.statusCode() + ": "
            + error.substring(0, Math.min(300, error.length())), null);
      }
      try (Stream<String> lines = response.body()) {
        for (String line : (Iterable<String>) lines::iterator) {
          if (!line.startsWith("data:")) {
            continue;
          }
          JsonNode event = JSON.readTree(line.substring(5).strip());
          if (event.has("error")) {
            throw new LlmProvider.LlmException("local model server: " + event.get("error"), null);
          }
          String piece = event.path("content").asText("");
          if (!piece.isEmpty()) {
            if (first < 0) {
              first = System.nanoTime() - start;
            }
            text.append(piece);
            onPiece.accept(piece);
          }
          if (event.path("stop").asBoolean(false)) {
            last = event;
            break;
          }
          if (cancel.getAsBoolean()) {
            return new Result(text.toString(), 0, 0, 0, first, "cancelled");
          }
        }
      }
    } catch (java.net.http.HttpTimeoutException e) {
      throw new LlmProvider.LlmException("local model timed out after " + timeout.toMillis() + " ms", e);
    } catch (IOException e) {
      if (text.length() == 0 && process.isAlive()) {
        throw new StaleConnectionException(e);
      }
      throw failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LlmProvider.LlmException("interrupted while the local model answered", e);
    }
    if (last == null) {
      throw new LlmProvider.LlmException("local model server closed the stream before the end of the reply", null);
    }
    JsonNode timings = last.path("timings");
    String stop = last.path("stop_type").asText(last.path("stopped_limit").asBoolean(false) ? "limit" : "eos");
    return new Result(text.toString(), timings.path("prompt_n").asInt(0), timings.path("cache_n").asInt(0),
        timings.path("predicted_n").asInt(0), first, stop);
  }

  boolean alive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    List<ProcessHandle> children = process.descendants().toList();
    try {
      process.getOutputStream().close(); // the watchdog kills the server on end of input
    } catch (IOException e) {
      // already closed
    }
    children.forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port for llama-server", e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while llama-server loaded", e);
    }
  }
}
