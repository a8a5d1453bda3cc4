package dev.parley.kit;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * {@code GET /health} for probes: 200 with the status text when healthy, 503 otherwise. Port 0
 * picks a free port; a negative port disables the server.
 */
public final class HealthServer implements AutoCloseable {
  private final HttpServer server;

  private HealthServer(HttpServer server) {
    this.server = server;
  }

  /** Starts on {@code host:port} and reports {@code status}: healthy when it starts with "UP". */
  public static HealthServer start(String host, int port, Supplier<String> status) {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
      server.createContext("/health", exchange -> {
        String text = status.get();
        byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(text.startsWith("UP") ? 200 : 503, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      server.start();
      return new HealthServer(server);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serve /health on " + host + ":" + port, e);
    }
  }

  /** Also serves {@code GET path} with the supplier's text (for example {@code /metrics} in Prometheus format). */
  public HealthServer serve(String path, Supplier<String> body) {
    return serve(path, "text/plain; version=0.0.4; charset=utf-8", body);
  }

  /** Also serves {@code GET path} with the supplier's body as {@code contentType} (a JSON {@code /status}, say). */
  public HealthServer serve(String path, String contentType, Supplier<String> body) {
    server.createContext(path, exchange -> {
      byte[] bytes = body.get().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", contentType);
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    });
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
