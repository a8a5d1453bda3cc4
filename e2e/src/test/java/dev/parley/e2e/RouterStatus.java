package dev.parley.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.parley.agentconfig.AgentConfigJson;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A router-stream process's {@code GET /status}, as an operator reads it: what tests wait for instead of time. */
final class RouterStatus {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private RouterStatus() {}

  /** The status, or a missing node while the router does not answer. */
  static JsonNode of(int port) {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/status")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? AgentConfigJson.MAPPER.readTree(response.body()) : MissingNode.getInstance();
    } catch (java.io.IOException e) {
      return MissingNode.getInstance();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return MissingNode.getInstance();
    }
  }

  /** The config version of {@code agent} the router routes new sessions with (0 while it has none). */
  static int agentVersion(int port, String agent) {
    return of(port).path("agents").path(agent).path("version").asInt(0);
  }

  /** Whether the router is running and holds at least one task of its own. */
  static boolean runsTasks(int port) {
    JsonNode status = of(port);
    return "RUNNING".equals(status.path("state").asText()) && status.path("active_tasks").size() > 0;
  }
}
