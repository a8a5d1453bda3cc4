package dev.parley.config;

import dev.parley.agentconfig.SeedAgents;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Creates the four seed agents through the Admin API: Created / Already existed / Failed, per agent. */
public final class SeedCommand {
  private final String baseUrl;
  private final String apiKey;
  private final PrintStream out;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final java.util.function.UnaryOperator<String> adjust;

  public SeedCommand(String baseUrl, String apiKey, PrintStream out) {
    this(baseUrl, apiKey, out, json -> json);
  }

  /** Seeds changed by {@code adjust} (their JSON) before they are created, e.g. {@link #cloudProviders}. */
  public SeedCommand(String baseUrl, String apiKey, PrintStream out, java.util.function.UnaryOperator<String> adjust) {
    this.baseUrl = baseUrl.replaceAll("/+$", "");
    this.apiKey = apiKey;
    this.out = out;
    this.adjust = adjust;
  }

  /** Where the seed support agent's {@code order_status} tool reaches the example order desk in the local stack. */
  public static final String LOCAL_ORDER_DESK = "http://127.0.0.1:8094";

  /**
   * The seeds' tool URLs pointed at the example order desk at {@code url} (its address in another deployment, such as
   * {@code http://order-desk:8094} in Docker Compose); blank: unchanged.
   */
  public static java.util.function.UnaryOperator<String> orderDesk(String url) {
    if (url == null || url.isBlank()) {
      return json -> json;
    }
    String base = url.replaceAll("/+$", "");
    return json -> json.replace("\"" + LOCAL_ORDER_DESK + "/", "\"" + base + "/");
  }

  /** What the seeds use, given the keys in an environment: a line for the console and the change to make. */
  public record Providers(String description, java.util.function.UnaryOperator<String> adjust) {}

  /**
   * Cloud providers for the seeds when their keys are in {@code env}: {@code OPENAI_API_KEY} → OpenAI for
   * the LLM ({@code PARLEY_OPENAI_MODEL}, default gpt-4o-mini), the voice and speech-to-text;
   * {@code DEEPGRAM_API_KEY} → Deepgram for speech-to-text; {@code ELEVENLABS_API_KEY} → ElevenLabs for
   * the voice. {@code PARLEY_SEED_PROVIDERS=local} keeps the offline engines whatever the keys.
   */
  public static Providers cloudProviders(java.util.Map<String, String> env) {
    java.util.function.Predicate<String> has = key -> env.get(key) != null && !env.get(key).isBlank();
    if ("local".equals(env.get("PARLEY_SEED_PROVIDERS"))) {
      return new Providers("offline engines (PARLEY_SEED_PROVIDERS=local)", json -> json);
    }
    String model = env.getOrDefault("PARLEY_OPENAI_MODEL", "gpt-4o-mini");
    String llm = has.test("OPENAI_API_KEY") ? "openai" : null;
    String stt = has.test("DEEPGRAM_API_KEY") ? "deepgram" : has.test("OPENAI_API_KEY") ? "openai" : null;
    String voice = has.test("ELEVENLABS_API_KEY") ? "elevenlabs" : has.test("OPENAI_API_KEY") ? "openai" : null;
    if (llm == null && stt == null && voice == null) {
      return new Providers("offline engines (set OPENAI_API_KEY, DEEPGRAM_API_KEY or ELEVENLABS_API_KEY for cloud"
          + " ones)", json -> json);
    }
    String description = "LLM " + (llm == null ? "offline" : llm + " " + model) + ", speech-to-text "
        + (stt == null ? "offline" : stt) + ", voice " + (voice == null ? "offline" : voice) + " (from the keys set)";
    return new Providers(description, json -> {
      try {
        com.fasterxml.jackson.databind.node.ObjectNode node = (com.fasterxml.jackson.databind.node.ObjectNode)
            dev.parley.agentconfig.AgentConfigJson.MAPPER.readTree(withLlm(json, llm, model));
        if (stt != null) {
          node.with("stt_config").put("provider", stt);
        }
        if (voice != null) {
          node.with("voice_config").put("provider", voice).put("voice", voice.equals("openai") ? "alloy"
              : env.getOrDefault("PARLEY_ELEVENLABS_VOICE", "21m00Tcm4TlvDq8ikWAM"));
        }
        return node.toString();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  /** A seed's JSON with its LLM provider and model replaced (temperature and limits kept). */
  static String withLlm(String seedJson, String provider, String model) {
    if (provider == null) {
      return seedJson;
    }
    try {
      com.fasterxml.jackson.databind.node.ObjectNode json = (com.fasterxml.jackson.databind.node.ObjectNode)
          dev.parley.agentconfig.AgentConfigJson.MAPPER.readTree(seedJson);
      json.with("llm_config").put("provider", provider).put("model", model);
      return json.toString();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** True when every seed agent exists afterwards. */
  public boolean run() {
    int created = 0;
    int existed = 0;
    int failed = 0;
    for (int i = 0; i < SeedAgents.IDS.size(); i++) {
      String id = SeedAgents.IDS.get(i);
      try {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/agents/config"))
            .header("Authorization", "Bearer " + apiKey).header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(adjust.apply(SeedAgents.json().get(i)))).build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 201) {
          out.println("Created: " + id);
          created++;
        } else if (response.statusCode() == 409) {
          out.println("Already existed: " + id);
          existed++;
        } else {
          out.println("Failed: " + id + " (HTTP " + response.statusCode() + ": " + response.body() + ")");
          failed++;
        }
      } catch (Exception e) {
        out.println("Failed: " + id + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        failed++;
      }
    }
    out.printf("Seed agents: %d created, %d already existed, %d failed%n", created, existed, failed);
    return failed == 0;
  }
}
