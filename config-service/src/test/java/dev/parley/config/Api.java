package dev.parley.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A small HTTP client for the Admin API, as a user with curl would call it. */
final class Api {
  static final String ADMIN_KEY = "test-admin-key-0123456789";
  static final String READ_KEY = "test-read-key-0123456789";
  static final String ACME_KEY = "acme-tenant-key-0001";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;

  Api(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  record Response(int status, String body, Map<String, java.util.List<String>> headers) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (Exception e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst()
          .map(e -> e.getValue().get(0)).orElse(null);
    }
  }

  Response call(String method, String path, String body, String key, String... headers) {
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

  Response get(String path) {
    return call("GET", path, null, ADMIN_KEY);
  }

  Response post(String path, String body) {
    return call("POST", path, body, ADMIN_KEY);
  }

  Response patch(String path, String body, String... headers) {
    return call("PATCH", path, body, ADMIN_KEY, headers);
  }

  Response put(String path, String body, String... headers) {
    return call("PUT", path, body, ADMIN_KEY, headers);
  }

  Response delete(String path, String... headers) {
    return call("DELETE", path, null, ADMIN_KEY, headers);
  }
}
