package dev.parley.llm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A local OpenAI-compatible chat-completions server standing in for the cloud API in tests, run as
 * its own process: {@code StandInLlmServer <port> <delay-ms-per-piece>}. It streams (SSE) a reply
 * that matches the requested JSON schema: {@code system_response} says what the user said and how
 * many earlier exchanges it was given; every other field gets the first valid value. Scripted by the
 * user's words: "slowly" streams at 400 ms per piece, "escalate" sets every boolean field true, "break" sends a
 * schema-breaking reply first
 * (and a valid one to the repair request), "fail" answers 500, "hang" waits 60 s before answering
 * (a provider that stopped responding), "garbage" streams text that is not JSON at all.
 */
public final class StandInLlmServer {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(args[0]);
    long delay = Long.parseLong(args[1]);
    // each streamed piece goes out at once: with Nagle's algorithm the second small write waits for the client's
    // delayed ACK (~40 ms), which is not what an LLM API costs
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", exchange -> {
      try {
        handle(exchange, delay);
      } catch (Exception e) {
        byte[] body = ("{\"error\":{\"message\":\"" + e + "\"}}").getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(500, body.length);
        exchange.getResponseBody().write(body);
      } finally {
        exchange.close();
      }
    });
    server.start();
    System.out.println("STANDIN_READY " + port);
  }

  private static void handle(HttpExchange exchange, long delay) throws Exception {
    JsonNode request = JSON.readTree(exchange.getRequestBody());
    JsonNode messages = request.get("messages");
    String lastUser = "";
    int earlier = 0;
    boolean repair = false;
    for (JsonNode message : messages) {
      if (message.get("role").asText().equals("user")) {
        lastUser = text(message);
        earlier++;
      }
    }
    earlier--; // the current turn
    if (lastUser.contains("did not match")) {
      repair = true;
    }
    if (lastUser.contains("fail")) {
      exchange.sendResponseHeaders(500, -1);
      return;
    }
    if (lastUser.contains("hang") && !repair) {
      Thread.sleep(60_000);
    }
    if (lastUser.contains("garbage") && !repair) {
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
      exchange.sendResponseHeaders(200, 0);
      ObjectNode chunk = chunk(request.get("model").asText());
      chunk.withArray("choices").addObject().put("index", 0).putObject("delta")
          .put("content", "<html>502 Bad Gateway</html> \u0000\u0007 ]]}{ not json");
      write(exchange.getResponseBody(), chunk);
      exchange.getResponseBody().write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
      exchange.getResponseBody().flush();
      return;
    }
    JsonNode schema = request.at("/response_format/json_schema/schema");
    ObjectNode reply = JSON.createObjectNode();
    String said = lastUser.replaceAll("[^A-Za-z0-9 ]", "");
    reply.put("system_response", "You said " + said + ". I remember " + earlier + " earlier turns.");
    Iterator<Map.Entry<String, JsonNode>> properties = schema.get("properties").fields();
    while (properties.hasNext()) {
      Map.Entry<String, JsonNode> property = properties.next();
      if (!property.getKey().equals("system_response")) {
        JsonNode value = sample(property.getValue());
        // "escalate" in the caller's words turns every yes/no field on (the escalation tests' hook)
        reply.set(property.getKey(), value.isBoolean() && lastUser.contains("escalate")
            ? JSON.getNodeFactory().booleanNode(true) : value);
      }
    }
    if (lastUser.contains("break") && !repair) {
      reply.put("surprise_field", true);
    }
    String text = reply.toString();
    long pieceDelay = lastUser.contains("slowly") ? 400 : delay;
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    for (int i = 0; i < text.length(); i += 12) {
      ObjectNode chunk = chunk(request.get("model").asText());
      chunk.withArray("choices").addObject().put("index", 0).putObject("delta")
          .put("content", text.substring(i, Math.min(text.length(), i + 12)));
      write(out, chunk);
      if (pieceDelay > 0) {
        Thread.sleep(pieceDelay);
      }
    }
    ObjectNode usage = chunk(request.get("model").asText());
    usage.putArray("choices");
    usage.putObject("usage").put("prompt_tokens", 50 + 10 * earlier).put("completion_tokens", text.length() / 4)
        .put("total_tokens", 50 + 10 * earlier + text.length() / 4);
    write(out, usage);
    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static String text(JsonNode message) {
    JsonNode content = message.get("content");
    return content.isTextual() ? content.asText() : content.toString();
  }

  /** The first valid value of a schema property (null for a nullable one). */
  public static JsonNode sample(JsonNode property) {
    if (property.has("anyOf")) {
      return JSON.nullNode();
    }
    if (property.has("enum")) {
      return property.get("enum").get(0);
    }
    return switch (property.path("type").asText()) {
      case "integer" -> JSON.getNodeFactory().numberNode(property.path("minimum").asLong(1));
      case "number" -> JSON.getNodeFactory().numberNode(property.path("minimum").asDouble(0.5));
      case "boolean" -> JSON.getNodeFactory().booleanNode(false);
      case "array" -> JSON.createArrayNode();
      default -> JSON.getNodeFactory().textNode("noted");
    };
  }

  /** An empty chat.completion.chunk of {@code model}, to add choices or usage to. */
  public static ObjectNode chunk(String model) {
    ObjectNode chunk = JSON.createObjectNode();
    chunk.put("id", "chatcmpl-standin").put("object", "chat.completion.chunk").put("created", 0).put("model", model);
    return chunk;
  }

  /** One server-sent event carrying {@code chunk}, flushed. */
  public static void write(OutputStream out, JsonNode chunk) throws IOException {
    out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
