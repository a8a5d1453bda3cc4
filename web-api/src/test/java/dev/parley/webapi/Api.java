package dev.parley.webapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small HTTP client for Parley's HTTP APIs, as a user with curl would call it (shared by the services' tests). */
public final class Api {
  public static final String ADMIN_KEY = "test-admin-key-0123456789";
  public static final String READ_KEY = "test-read-key-0123456789";
  public static final String ACME_KEY = "acme-tenant-key-0001";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  public Api(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  public record Response(int status, String body, Map<String, java.util.List<String>> headers) {
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    public String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst()
          .map(e -> e.getValue().get(0)).orElse(null);
    }
  }

  public Response call(String method, String path, String body, String key, String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (key != null) {
      request.header("Authorization", "Bearer " + key);
    }
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    try {
      HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(response.statusCode(), response.body(), response.headers().map());
    } catch (Exception e) {
      throw new IllegalStateException(method + " " + path + " failed: " + e, e);
    }
  }

  public Response get(String path) {
    return call("GET", path, null, ADMIN_KEY);
  }

  public Response post(String path, String body) {
    return call("POST", path, body, ADMIN_KEY);
  }

  public Response patch(String path, String body, String... headers) {
    return call("PATCH", path, body, ADMIN_KEY, headers);
  }

  public Response put(String path, String body, String... headers) {
    return call("PUT", path, body, ADMIN_KEY, headers);
  }

  public Response delete(String path, String... headers) {
    return call("DELETE", path, null, ADMIN_KEY, headers);
  }
}
