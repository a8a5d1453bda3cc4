package dev.parley.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The production-like stack's compose file is checked without a Docker engine: Debian's
 * docker-compose parses and validates it, and its services match the modules.
 */
class DockerComposeFileTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path COMPOSE = ROOT.resolve("docker-compose.yml");
  private static final List<String> SERVICES =
      List.of("config-service", "console", "router-stream", "llm-processor", "ingress-worker", "tts-egress");

  @Test
  void dockerComposeAcceptsTheFile() throws Exception {
    Result result = compose(Map.of("PARLEY_ADMIN_API_KEY", "test-key"));
    assertThat(result.exitCode).as("docker-compose config -q said: %s", result.output).isZero();
  }

  @Test
  void theAdminKeyIsRequiredNotDefaulted() throws Exception {
    Result result = compose(Map.of());
    assertThat(result.exitCode).isNotZero();
    assertThat(result.output).contains("PARLEY_ADMIN_API_KEY");
  }

  @Test
  void everyServiceIsBuiltFromItsModuleAndScalesByReplicas() throws Exception {
    // The resolved file, as docker-compose itself sees it (anchors and variables expanded).
    Result resolved = compose(Map.of("PARLEY_ADMIN_API_KEY", "test-key"), "config");
    assertThat(resolved.exitCode).isZero();
    JsonNode services = new ObjectMapper(new YAMLFactory()).readTree(resolved.output).get("services");
    assertThat(services.has("kafka")).isTrue();
    assertThat(services.has("mongodb")).isTrue();
    assertThat(services.has("livekit")).isTrue();
    for (String service : SERVICES) {
      JsonNode node = services.get(service);
      assertThat(node).as("service %s in docker-compose.yml", service).isNotNull();
      Path dockerfile = Path.of(node.at("/build/context").asText()).resolve("Dockerfile");
      assertThat(dockerfile).exists();
      assertThat(Files.readString(dockerfile)).contains("target/parley-" + service + "-");
      assertThat(node.at("/deploy/replicas").asInt()).as("%s replicas", service).isPositive();
      assertThat(node.at("/environment/PARLEY_KAFKA_BOOTSTRAP").asText()).isEqualTo("kafka:19092");
    }
  }

  /** Prometheus (the optional observability profile) scrapes every Parley service at the port it serves /metrics on. */
  @Test
  void prometheusScrapesEveryServiceWhereItServesMetrics() throws Exception {
    Result resolved = compose(Map.of("PARLEY_ADMIN_API_KEY", "test-key"), "--profile", "observability", "config");
    assertThat(resolved.exitCode).as(resolved.output).isZero();
    JsonNode services = new ObjectMapper(new YAMLFactory()).readTree(resolved.output).get("services");
    assertThat(services.has("prometheus")).isTrue();
    assertThat(services.has("grafana")).isTrue();
    JsonNode scrape = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("deploy/prometheus/prometheus.yml")
        .toFile()).at("/scrape_configs/0/dns_sd_configs");
    Map<String, Integer> scraped = new java.util.HashMap<>();
    scrape.forEach(target -> target.path("names").forEach(name -> scraped.put(name.asText(),
        target.path("port").asInt())));
    services.fields().forEachRemaining(service -> {
      JsonNode env = service.getValue().path("environment");
      if (!env.has("PARLEY_KAFKA_BOOTSTRAP") || service.getKey().equals("seed")) {
        return; // not a Parley service (Kafka, MongoDB, LiveKit, Prometheus, Grafana), or the one-shot seeding job
      }
      int port = Map.of("config-service", 8080, "console", 8090).getOrDefault(service.getKey(), -1);
      for (var setting = env.fields(); setting.hasNext(); ) {
        var entry = setting.next();
        if (entry.getKey().endsWith("_HEALTH_PORT")) { // the port of /health and /metrics
          port = entry.getValue().asInt();
        }
      }
      assertThat(scraped).as("Prometheus scrapes %s", service.getKey()).containsEntry(service.getKey(), port);
    });
  }

  @Test
  void llmProcessorsRunAsTheSeedsDedicatedWorkersAndAGeneralPool() throws Exception {
    Result resolved = compose(Map.of("PARLEY_ADMIN_API_KEY", "test-key"), "config");
    assertThat(resolved.exitCode).isZero();
    JsonNode services = new ObjectMapper(new YAMLFactory()).readTree(resolved.output).get("services");
    Map<String, Integer> replicas = Map.of("llm-processor-support", 3, "llm-processor-sales", 5, "llm-processor", 2);
    Map<String, String> filters = Map.of("llm-processor-support", "support", "llm-processor-sales", "sales",
        "llm-processor", "!support,!sales");
    for (var service : replicas.entrySet()) {
      JsonNode node = services.get(service.getKey());
      assertThat(node).as("service %s", service.getKey()).isNotNull();
      assertThat(node.at("/deploy/replicas").asInt()).as("%s replicas", service.getKey()).isEqualTo(service.getValue());
      assertThat(node.at("/environment/AGENT_FILTER").asText()).isEqualTo(filters.get(service.getKey()));
      assertThat(node.at("/build/context").asText()).endsWith("llm-processor");
      assertThat(node.at("/environment/PARLEY_KAFKA_BOOTSTRAP").asText()).isEqualTo("kafka:19092");
    }
    for (String agent : dev.parley.agentconfig.SeedAgents.IDS) {
      assertThat(filters.values().stream().filter(f -> dev.parley.kit.AgentFilter.parse(f).matches(agent)))
          .as("processor services serving %s", agent).hasSize(1);
    }
  }

  private static Result compose(Map<String, String> env) throws IOException, InterruptedException {
    return compose(env, "config", "-q");
  }

  private static Result compose(Map<String, String> env, String... command) throws IOException, InterruptedException {
    List<String> line = new java.util.ArrayList<>(List.of("docker-compose", "-f", COMPOSE.toString()));
    line.addAll(List.of(command));
    ProcessBuilder builder = new ProcessBuilder(line).redirectErrorStream(true);
    builder.environment().remove("PARLEY_ADMIN_API_KEY");
    builder.environment().putAll(env);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new AssertionError("docker-compose is not installed; run ./parley setup", e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output);
  }

  private record Result(int exitCode, String output) {}
}
