package dev.parley.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.parley.agentconfig.SeedAgents;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The Kubernetes manifests parse, and everything they reference exists and agrees. */
class KubernetesManifestsTest {
  private static final Path DIR = Path.of("..", "deploy", "k8s").toAbsolutePath().normalize();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static List<JsonNode> documents(Path file) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(file.toFile())) {
      YAML.readValues(parser, JsonNode.class).forEachRemaining(d -> {
        if (d != null && !d.isNull()) {
          docs.add(d);
        }
      });
    }
    return docs;
  }

  private static Map<String, List<JsonNode>> byKind() throws IOException {
    Map<String, List<JsonNode>> kinds = new HashMap<>();
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).toList()) {
        for (JsonNode doc : documents(file)) {
          assertThat(doc.path("kind").asText()).as("kind in %s", file.getFileName()).isNotBlank();
          kinds.computeIfAbsent(doc.get("kind").asText(), k -> new ArrayList<>()).add(doc);
        }
      }
    }
    return kinds;
  }

  @Test
  void kustomizationListsEveryManifestButTheSecretTemplate() throws IOException {
    JsonNode kustomization = documents(DIR.resolve("kustomization.yaml")).get(0);
    Set<String> listed = new HashSet<>();
    kustomization.get("resources").forEach(r -> listed.add(r.asText()));
    try (Stream<Path> files = Files.list(DIR)) {
      Set<String> present = new HashSet<>(files.map(f -> f.getFileName().toString())
          .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).toList());
      present.remove("secrets.template.yaml");
      assertThat(listed).containsExactlyInAnyOrderElementsOf(present);
    }
  }

  @Test
  void everyDeploymentHasResourcesProbesOnItsHealthPortAndOnlyKnownSecretsAndConfig() throws IOException {
    Map<String, List<JsonNode>> kinds = byKind();
    Set<String> secretKeys = new HashSet<>();
    kinds.get("Secret").forEach(s -> s.get("stringData").fieldNames()
        .forEachRemaining(k -> secretKeys.add(s.at("/metadata/name").asText() + "/" + k)));
    Set<String> configMaps = new HashSet<>();
    kinds.get("ConfigMap").forEach(c -> configMaps.add(c.at("/metadata/name").asText()));
    List<JsonNode> deployments = kinds.get("Deployment");
    assertThat(deployments).extracting(d -> d.at("/metadata/name").asText())
        .contains("config-service", "router-stream", "ingress-worker", "tts-egress");
    for (JsonNode deployment : deployments) {
      String name = deployment.at("/metadata/name").asText();
      JsonNode pod = deployment.at("/spec/template/spec");
      assertThat(deployment.at("/spec/selector/matchLabels")).as("%s selector matches its pods")
          .isEqualTo(((com.fasterxml.jackson.databind.node.ObjectNode) deployment.at("/spec/template/metadata/labels")
              .deepCopy()).without("app.kubernetes.io/part-of"));
      for (JsonNode container : pod.get("containers")) {
        assertThat(container.at("/resources/requests/cpu").asText()).as("%s cpu request", name).isNotBlank();
        assertThat(container.at("/resources/requests/memory").asText()).as("%s memory request", name).isNotBlank();
        Map<String, String> env = new HashMap<>();
        container.path("env").forEach(e -> {
          env.put(e.get("name").asText(), e.path("value").asText());
          JsonNode secret = e.at("/valueFrom/secretKeyRef");
          if (!secret.isMissingNode()) {
            assertThat(secretKeys).as("%s uses secret %s", name, secret)
                .contains(secret.get("name").asText() + "/" + secret.get("key").asText());
          }
        });
        container.path("envFrom").forEach(f -> assertThat(configMaps).contains(f.at("/configMapRef/name").asText()));
        int healthPort = container.get("ports").get(0).get("containerPort").asInt();
        assertThat(env).as("%s listens for /health on its declared port", name).containsValue(String.valueOf(healthPort));
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
          assertThat(container.at("/" + probe + "/httpGet/path").asText()).as("%s %s", name, probe).isEqualTo("/health");
          assertThat(container.at("/" + probe + "/httpGet/port").asText()).isEqualTo("health");
        }
        Set<String> volumes = new HashSet<>();
        pod.path("volumes").forEach(v -> volumes.add(v.get("name").asText()));
        container.path("volumeMounts").forEach(m -> assertThat(volumes).contains(m.get("name").asText()));
      }
    }
  }

  /**
   * What a cluster needs for the stack to answer: config-service reachable in its pod and handing clients
   * LiveKit's public address, the offline engines in every pod that loads them (copied from the models
   * image, paths set), and a Job that seeds the agents.
   */
  @Test
  void podsHaveTheirModelsTheAdminApiIsReachableAndAJobSeedsTheAgents() throws IOException {
    Map<String, List<JsonNode>> kinds = byKind();
    Map<String, JsonNode> deployments = new HashMap<>();
    kinds.get("Deployment").forEach(d -> deployments.put(d.at("/metadata/name").asText(), d));
    JsonNode config = kinds.get("ConfigMap").get(0).get("data");
    assertThat(config.path("LIVEKIT_PUBLIC_URL").asText()).startsWith("wss://");
    assertThat(config.path("PARLEY_LOOPBACK_ONLY").asText()).isEqualTo("false");
    JsonNode configService = deployments.get("config-service").at("/spec/template/spec/containers/0");
    assertThat(env(configService).get("PARLEY_CONFIG_HOST")).isEqualTo("0.0.0.0");
    assertThat(configService.path("env").findValues("configMapKeyRef")).anySatisfy(ref ->
        assertThat(ref.path("key").asText()).isEqualTo("LIVEKIT_PUBLIC_URL"));
    Map<String, List<String>> needs = Map.of(
        "llm-processor", List.of("PARLEY_LOCAL_MODEL", "PARLEY_LLAMA_SERVER"),
        "ingress-worker", List.of("PARLEY_VAD_MODEL", "PARLEY_SMART_TURN_MODEL", "PARLEY_MOONSHINE_DIR"),
        "tts-egress", List.of("PARLEY_PIPER_MODEL"));
    for (JsonNode deployment : deployments.values()) {
      String name = deployment.at("/metadata/name").asText();
      String service = name.startsWith("llm-processor") ? "llm-processor" : name;
      if (!needs.containsKey(service)) {
        continue;
      }
      JsonNode pod = deployment.at("/spec/template/spec");
      JsonNode init = pod.at("/initContainers/0");
      assertThat(init.path("image").asText()).as("%s copies the models", name).contains("/models:");
      String copy = init.at("/command/2").asText();
      Map<String, String> env = env(pod.at("/containers/0"));
      for (String key : needs.get(service)) {
        String path = env.get(key);
        assertThat(path).as("%s sets %s", name, key).startsWith("/models/");
        assertThat(List.of(copy.split("[\\s;&]+"))).as("%s's init container copies what %s names", name, key)
            .contains(path);
      }
      assertThat(pod.at("/containers/0/volumeMounts/0/mountPath").asText()).isEqualTo("/models");
    }
    JsonNode job = kinds.get("Job").stream().filter(j -> j.at("/metadata/name").asText().equals("seed-agents"))
        .findFirst().orElseThrow();
    JsonNode seeder = job.at("/spec/template/spec/containers/0");
    assertThat(seeder.path("args").get(0).asText()).isEqualTo("seed");
    assertThat(seeder.path("args").get(1).asText()).isEqualTo("http://config-service.parley.svc");
    assertThat(seeder.path("image").asText()).isEqualTo(configService.path("image").asText());
  }

  /**
   * Every manifest against the Kubernetes API's own schemas (strict: an unknown field fails), with the
   * kubernetes-validate package that ./parley setup installs. KEDA's ScaledObject and the Kustomization
   * have no schema there; the tests above check them.
   */
  @Test
  void everyManifestPassesTheKubernetesApiSchemas() throws Exception {
    Path validator = Path.of("..", ".parley", "pyenv", "bin", "kubernetes-validate").toAbsolutePath().normalize();
    assertThat(validator).as("installed by ./parley setup").isExecutable();
    List<String> command = new ArrayList<>(List.of(validator.toString(), "--strict", "--quiet"));
    try (Stream<Path> files = Files.list(DIR)) {
      files.filter(f -> f.toString().endsWith(".yaml")).sorted().forEach(f -> command.add(f.toString()));
    }
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(process.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
    assertThat(process.exitValue()).as("kubernetes-validate said:%n%s", output).isZero();
    assertThat(output).doesNotContain("ERROR");
  }

  private static Map<String, String> env(JsonNode container) {
    Map<String, String> env = new HashMap<>();
    container.path("env").forEach(e -> env.put(e.get("name").asText(), e.path("value").asText()));
    return env;
  }

  /** The seed's layout: support ×3 and sales ×5 as dedicated workers (AGENT_FILTER), a general pool for the rest. */
  @Test
  void eachSeedAgentIsServedByOneProcessorDeploymentScaledOnItsTopicLag() throws IOException {
    Map<String, List<JsonNode>> kinds = byKind();
    Map<String, JsonNode> processors = new HashMap<>();
    kinds.get("Deployment").stream().filter(d -> d.at("/metadata/name").asText().startsWith("llm-processor"))
        .forEach(d -> processors.put(d.at("/metadata/name").asText(), d));
    for (String agent : SeedAgents.IDS) {
      List<String> serving = processors.entrySet().stream().filter(d -> serves(d.getValue(), agent))
          .map(Map.Entry::getKey).toList();
      assertThat(serving).as("the processor Deployments serving %s", agent).hasSize(1);
      String deployment = serving.get(0);
      JsonNode object = kinds.get("ScaledObject").stream().filter(s -> s.at("/spec/scaleTargetRef/name").asText()
          .equals(deployment)).findFirst().orElseThrow(() -> new AssertionError("no ScaledObject for " + deployment));
      List<JsonNode> triggers = new java.util.ArrayList<>();
      object.at("/spec/triggers").forEach(triggers::add);
      assertThat(triggers).as("%s scales on the lag of %s's group and topic", deployment, agent)
          .anySatisfy(trigger -> {
            assertThat(trigger.get("type").asText()).isEqualTo("kafka");
            assertThat(trigger.at("/metadata/consumerGroup").asText()).isEqualTo("parley-llm-" + agent);
            assertThat(trigger.at("/metadata/topic").asText()).isEqualTo(dev.parley.schemas.Topics.agent(agent).name());
          });
      assertThat(object.at("/spec/maxReplicaCount").asInt()).isLessThanOrEqualTo(dev.parley.schemas.Topics
          .SESSION_PARTITIONS);
      assertThat(object.at("/spec/minReplicaCount").asInt()).isEqualTo(processors.get(deployment)
          .at("/spec/replicas").asInt());
    }
    assertThat(processors.get("llm-processor-support").at("/spec/replicas").asInt()).isEqualTo(3);
    assertThat(processors.get("llm-processor-sales").at("/spec/replicas").asInt()).isEqualTo(5);
  }

  private static boolean serves(JsonNode deployment, String agent) {
    for (JsonNode e : deployment.at("/spec/template/spec/containers/0/env")) {
      String value = e.path("value").asText();
      switch (e.get("name").asText()) {
        case "PARLEY_AGENTS" -> {
          return List.of(value.split(",")).contains(agent);
        }
        case "AGENT_FILTER" -> {
          return dev.parley.kit.AgentFilter.parse(value).matches(agent);
        }
        default -> { }
      }
    }
    return true;
  }
}
