package dev.parley.toolrunner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.parley.kit.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An example of a service an agent's tool calls: a small order desk (a handful of made-up orders, read from
 * {@code demo-orders.json}) that {@code parley up} starts for the seed support agent's {@code order_status} tool.
 * {@code GET /orders/{id}} answers the order as JSON, or 404 with a sentence the agent can say; it honours the
 * {@code Idempotency-Key} the tool runner sends (the same key gets the same answer, looked up once), as a real service
 * should. Not a stand-in for anything: replace its URL in the tool with your own service's.
 */
public final class OrderDesk implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(OrderDesk.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final int DEFAULT_PORT = 8094;
  private final HttpServer server;
  private final Map<String, JsonNode> orders;
  /** An answer given, by idempotency key: the same key gets it again. */
  private record Answer(int status, byte[] body) {}

  private final Map<String, Answer> answered = new ConcurrentHashMap<>();

  private OrderDesk(String host, int port) throws IOException {
    try (InputStream in = OrderDesk.class.getResourceAsStream("/demo-orders.json")) {
      JsonNode list = JSON.readTree(in);
      Map<String, JsonNode> byId = new ConcurrentHashMap<>();
      list.forEach(order -> byId.put(order.get("order_id").asText(), order));
      this.orders = byId;
    }
    this.server = HttpServer.create(new InetSocketAddress(host, port), 32);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/orders/", this::order);
    server.createContext("/health", exchange -> respond(exchange, 200, "{\"status\":\"UP\"}".getBytes(
        StandardCharsets.UTF_8)));
    server.start();
  }

  /** Starts the desk on {@code host}:{@code port} (0: any free port). */
  public static OrderDesk start(String host, int port) throws IOException {
    return new OrderDesk(host, port);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void order(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestMethod().equals("GET")) {
      respond(exchange, 405, "{\"error\":\"only GET\"}".getBytes(StandardCharsets.UTF_8));
      return;
    }
    String id = java.net.URLDecoder.decode(exchange.getRequestURI().getRawPath().substring("/orders/".length()),
        StandardCharsets.UTF_8).strip().toUpperCase(java.util.Locale.ROOT).replaceAll("[\\s-]", "");
    String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
    Answer before = key == null ? null : answered.get(key);
    if (before != null) {
      log.info("order {} (key {}): answered before, same answer again", id, key);
      respond(exchange, before.status(), before.body());
      return;
    }
    JsonNode order = orders.get(id);
    byte[] body;
    if (order == null) {
      ObjectNode error = JSON.createObjectNode().put("error", "There is no order " + id
          + ". The caller may have the number wrong: ask them to read it again.");
      body = error.toString().getBytes(StandardCharsets.UTF_8);
    } else {
      body = order.toString().getBytes(StandardCharsets.UTF_8);
    }
    Answer answer = new Answer(order == null ? 404 : 200, body);
    if (key != null) {
      answered.put(key, answer);
    }
    log.info("order {} (key {}): {}", id, key, order == null ? "not found" : order.path("status").asText());
    respond(exchange, answer.status(), answer.body());
  }

  private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  /** {@code PARLEY_ORDER_DESK_HOST} (default 127.0.0.1) and {@code PARLEY_ORDER_DESK_PORT} (default 8094). */
  public static void main(String[] args) throws Exception {
    Settings settings = new Settings(System.getenv());
    String host = settings.string("PARLEY_ORDER_DESK_HOST", "127.0.0.1", "address the example order desk listens on");
    int port = settings.integer("PARLEY_ORDER_DESK_PORT", DEFAULT_PORT, 0, 65535, "port of the example order desk");
    settings.validate("order desk settings");
    OrderDesk desk = start(host, port);
    log.info("order desk (example tool service) on http://{}:{}/orders/{{id}} with {} orders", host, desk.port(),
        desk.orders.size());
    Runtime.getRuntime().addShutdownHook(new Thread(desk::close));
    Thread.currentThread().join();
  }
}
