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

  private final String llmProvider;
  private final String llmModel;

  public SeedCommand(String baseUrl, String apiKey, PrintStream out) {
    this(baseUrl, apiKey, out, null, null);
  }

  /** Seeds whose {@code llm_config} uses {@code llmProvider}/{@code llmModel} instead of the offline model (null: as shipped). */
  public SeedCommand(String baseUrl, String apiKey, PrintStream out, String llmProvider, String llmModel) {
    this.baseUrl = baseUrl.replaceAll("/+$", "");
    this.apiKey = apiKey;
    this.out = out;
    this.llmProvider = llmProvider;
    this.llmModel = llmModel;
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
            .POST(HttpRequest.BodyPublishers.ofString(withLlm(SeedAgents.json().get(i), llmProvider, llmModel))).build(),
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
