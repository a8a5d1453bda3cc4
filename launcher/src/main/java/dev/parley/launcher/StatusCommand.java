package dev.parley.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.parley.agentconfig.AgentConfigJson;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code parley status}: each service of the local stack {@code parley up} runs, whether it answers its health check,
 * the sessions it holds and its consumer lag (from its /metrics), and the last error or warning in its log.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Each service of the local stack: health, sessions, consumer lag, last error (exit 1 if one is down).")
final class StatusCommand implements Callable<Integer> {
  /** What {@code parley up} writes for {@code parley status}: one entry per service. */
  static final String FILE = "services.json";
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @Option(names = "--data-dir", description = "The stack's data folder (default: .parley/stack, or .parley/stack-file"
      + " for parley up --agents).")
  Path dataDir;

  PrintStream out = System.out;

  /** One service as {@code parley up} started it: where it answers and where it logs. */
  record Service(String name, String health, String metrics, String log) {}

  /** Writes the stack's services for {@code parley status}. */
  static void write(Path dataDir, List<Service> services) throws IOException {
    ArrayNode list = AgentConfigJson.MAPPER.createArrayNode();
    services.forEach(s -> list.addObject().put("name", s.name()).put("health", s.health())
        .put("metrics", s.metrics()).put("log", s.log()));
    Files.writeString(dataDir.resolve(FILE), list.toPrettyString());
  }

  @Override
  public Integer call() throws IOException {
    Path dir = dataDir;
    if (dir == null) {
      dir = Files.exists(Path.of(".parley", "stack-file", FILE)) && !Files.exists(Path.of(".parley", "stack", FILE))
          ? Path.of(".parley", "stack-file") : Path.of(".parley", "stack");
    }
    Path file = dir.resolve(FILE);
    if (!Files.exists(file)) {
      System.err.println("no local stack in " + dir.toAbsolutePath() + " (start one with ./parley up)");
      return 2;
    }
    out.printf("%-16s %-6s %-9s %-9s %s%n", "SERVICE", "HEALTH", "SESSIONS", "LAG", "LAST ERROR OR WARNING");
    boolean allUp = true;
    for (JsonNode service : AgentConfigJson.MAPPER.readTree(file.toFile())) {
      String health = get(service.path("health").asText()) != null ? "UP" : "DOWN";
      allUp &= health.equals("UP");
      String metrics = java.util.Objects.requireNonNullElse(get(service.path("metrics").asText()), "");
      out.printf("%-16s %-6s %-9s %-9s %s%n", service.path("name").asText(), health,
          sum(metrics, "parley_sessions_live"), sum(metrics, "parley_consumer_lag_records"),
          lastProblem(Path.of(service.path("log").asText())));
    }
    if (!allUp) {
      out.println("a service is down: its log says why (./parley up restarts a service that died)");
    }
    return allUp ? 0 : 1;
  }

  /** The body of a 200 answer to {@code GET url}; null when the service does not answer so (or no url). */
  private static String get(String url) {
    if (url.isEmpty()) {
      return null;
    }
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3))
          .build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The sum of a metric's samples in a Prometheus scrape, "-" when the service does not serve it. */
  static String sum(String scrape, String metric) {
    double total = 0;
    boolean found = false;
    for (String line : scrape.split("\n")) {
      if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        found = true;
      }
    }
    return found ? String.valueOf((long) total) : "-";
  }

  /** The log's last ERROR or WARN line (its time and message, shortened), or "-". */
  static String lastProblem(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      for (int i = lines.size() - 1; i >= 0; i--) {
        String line = lines.get(i);
        if (line.contains(" ERROR ") || line.contains(" WARN ")) {
          return line.length() > 160 ? line.substring(0, 157) + "..." : line;
        }
      }
      return "-";
    } catch (IOException | java.io.UncheckedIOException e) {
      return "(no log at " + log + ")";
    }
  }
}
