package dev.parley.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.agentconfig.AgentConfigJson;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A service's {@code GET /metrics} as Prometheus reads it, and the metric names a Grafana dashboard's queries use. */
final class Scrape {
  private static final Pattern METRIC = Pattern.compile("\\b((?:parley|process|jvm|kafka)_[a-z0-9_]+)\\b");
  private final String text;

  private Scrape(String text) {
    this.text = text;
  }

  static Scrape of(int port) throws IOException, InterruptedException {
    HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
        "http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new AssertionError("GET /metrics on " + port + " answered " + response.statusCode());
    }
    return new Scrape(response.body());
  }

  /** Every sample line's metric name. */
  Set<String> names() {
    Set<String> names = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        names.add(line.split("[{ ]", 2)[0]);
      }
    }
    return names;
  }

  /** Whether a sample of {@code name} has every one of {@code labels} (e.g. {@code stage="stt"}). */
  boolean has(String name, String... labels) {
    for (String line : text.split("\n")) {
      if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
        boolean all = true;
        for (String label : labels) {
          all &= line.contains(label);
        }
        if (all) {
          return true;
        }
      }
    }
    return false;
  }

  /** The metric names each query of the dashboard at {@code path} reads. */
  static Set<String> dashboardMetrics(Path path) throws IOException {
    JsonNode dashboard = AgentConfigJson.MAPPER.readTree(Files.readString(path));
    Set<String> names = new TreeSet<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        Matcher m = METRIC.matcher(target.path("expr").asText());
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }
}
