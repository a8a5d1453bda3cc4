package dev.parley.toolrunner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig.HttpBinding;
import dev.parley.agentconfig.AgentConfig.ToolConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.events.ToolOutcome;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;

/**
 * One tool call over HTTP, as its config says: {@code {argument}} placeholders in the URL filled from the arguments
 * (URL-encoded), the other arguments as a JSON body (POST, PUT, PATCH) or as query parameters (GET, DELETE); header
 * values with {@code ${secret:NAME}} filled from the runner's secrets; the call id as the {@code Idempotency-Key}
 * header on every attempt, so a tool that honours it executes a call once however often it is sent. A timeout, a
 * refused connection or a 5xx answer is tried again (the binding's {@code retries}, backing off 200 ms, 400 ms...);
 * any other answer is final.
 */
final class HttpTool {
  static final String IDEMPOTENCY_HEADER = "Idempotency-Key";
  /** What the model is told of a tool's answer at most (bytes of its body). */
  static final int MAX_RESULT = 8 * 1024;

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER).build();
  private final Function<String, String> secrets;

  /** {@code secrets}: a secret's value by name, or null when the runner has none by that name. */
  HttpTool(Function<String, String> secrets) {
    this.secrets = secrets;
  }

  /** How a call ended: what the model is told, and the HTTP status of the last attempt (null when none answered). */
  record Ended(ToolOutcome outcome, Integer status, String result, int attempts) {}

  Ended call(ToolConfig tool, String callId, String argumentsJson) {
    HttpRequest request;
    try {
      request = request(tool, callId, arguments(tool, argumentsJson));
    } catch (IllegalArgumentException e) {
      return new Ended(ToolOutcome.ERROR, null, e.getMessage(), 0);
    }
    HttpBinding http = tool.http();
    int attempts = 0;
    Ended last = null;
    for (int attempt = 0; attempt <= http.retriesOrDefault(); attempt++) {
      if (attempt > 0) {
        sleep(200L << Math.min(attempt - 1, 5));
      }
      attempts++;
      try {
        HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        String body = bounded(response.body());
        boolean ok = response.statusCode() / 100 == 2;
        last = new Ended(ok ? ToolOutcome.OK : ToolOutcome.ERROR, response.statusCode(),
            ok ? body : "the tool answered HTTP " + response.statusCode() + (body.isBlank() ? "" : ": " + body),
            attempts);
        if (response.statusCode() < 500) {
          return last;
        }
      } catch (HttpTimeoutException e) {
        last = new Ended(ToolOutcome.TIMEOUT, null, "the tool did not answer within " + http.timeoutOrDefault()
            + " ms", attempts);
      } catch (IOException e) {
        last = new Ended(ToolOutcome.ERROR, null, "the tool could not be reached (" + e.getClass().getSimpleName()
            + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", attempts);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Ended(ToolOutcome.ERROR, null, "the tool runner stopped during the call", attempts);
      }
    }
    return new Ended(last.outcome(), last.status(), last.result() + " (" + attempts + " attempts)", attempts);
  }

  /** The call's arguments, checked against the tool's parameters: required ones present, each of its declared type. */
  static ObjectNode arguments(ToolConfig tool, String json) {
    JsonNode parsed;
    try {
      parsed = json == null || json.isBlank() ? AgentConfigJson.MAPPER.createObjectNode()
          : AgentConfigJson.MAPPER.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException("the arguments are not JSON: " + e.getOriginalMessage());
    }
    if (!(parsed instanceof ObjectNode arguments)) {
      throw new IllegalArgumentException("the arguments must be a JSON object");
    }
    JsonNode parameters = tool.parameters();
    if (parameters == null || parameters.isNull()) {
      return arguments;
    }
    List<String> problems = new ArrayList<>();
    parameters.path("required").forEach(r -> {
      if (!arguments.hasNonNull(r.asText())) {
        problems.add("'" + r.asText() + "' is required");
      }
    });
    for (Iterator<Map.Entry<String, JsonNode>> it = arguments.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> argument = it.next();
      JsonNode declared = parameters.path("properties").get(argument.getKey());
      if (declared == null) {
        problems.add("'" + argument.getKey() + "' is not one of the tool's arguments");
      } else if (!fits(declared.path("type").asText(), argument.getValue())) {
        problems.add("'" + argument.getKey() + "' must be " + declared.path("type").asText());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("the arguments do not fit " + tool.name() + "'s parameters: "
          + String.join("; ", problems));
    }
    return arguments;
  }

  private static boolean fits(String type, JsonNode value) {
    return value.isNull() || switch (type) {
      case "string" -> value.isTextual();
      case "integer" -> value.isIntegralNumber();
      case "number" -> value.isNumber();
      case "boolean" -> value.isBoolean();
      case "array" -> value.isArray();
      case "object" -> value.isObject();
      default -> true;
    };
  }

  private HttpRequest request(ToolConfig tool, String callId, ObjectNode arguments) {
    HttpBinding http = tool.http();
    ObjectNode rest = arguments.deepCopy();
    Matcher placeholder = HttpBinding.PLACEHOLDER.matcher(http.url());
    StringBuilder url = new StringBuilder();
    while (placeholder.find()) {
      JsonNode value = rest.remove(placeholder.group(1));
      if (value == null || value.isNull()) {
        throw new IllegalArgumentException("the URL needs the argument '" + placeholder.group(1) + "'");
      }
      placeholder.appendReplacement(url, Matcher.quoteReplacement(encode(value.isTextual() ? value.asText()
          : value.toString())));
    }
    placeholder.appendTail(url);
    boolean withBody = List.of("POST", "PUT", "PATCH").contains(http.method());
    if (!withBody && !rest.isEmpty()) {
      StringBuilder query = new StringBuilder();
      rest.fields().forEachRemaining(e -> query.append(query.length() == 0 ? "" : "&").append(encode(e.getKey()))
          .append('=').append(encode(e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString())));
      url.append(url.indexOf("?") < 0 ? '?' : '&').append(query);
    }
    HttpRequest.Builder builder;
    try {
      builder = HttpRequest.newBuilder(URI.create(url.toString()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the tool's URL is not valid with these arguments: " + url);
    }
    builder.timeout(Duration.ofMillis(http.timeoutOrDefault())).header(IDEMPOTENCY_HEADER, callId)
        .header("User-Agent", "parley-tool-runner");
    if (http.headers() != null) {
      http.headers().forEach((name, value) -> builder.header(name, withSecrets(value)));
    }
    if (withBody) {
      builder.header("Content-Type", "application/json");
      builder.method(http.method(), HttpRequest.BodyPublishers.ofString(rest.toString()));
    } else {
      builder.method(http.method(), HttpRequest.BodyPublishers.noBody());
    }
    return builder.build();
  }

  private String withSecrets(String value) {
    Matcher secret = HttpBinding.SECRET.matcher(value);
    StringBuilder out = new StringBuilder();
    while (secret.find()) {
      String found = secrets.apply(secret.group(1));
      if (found == null) {
        throw new IllegalArgumentException("the secret " + secret.group(1) + " is not set on the tool runner"
            + " (PARLEY_SECRET_" + secret.group(1) + ")");
      }
      secret.appendReplacement(out, Matcher.quoteReplacement(found));
    }
    secret.appendTail(out);
    return out.toString();
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String bounded(byte[] body) {
    String text = new String(body, 0, Math.min(body.length, MAX_RESULT), StandardCharsets.UTF_8);
    return body.length > MAX_RESULT ? text + " [cut at " + MAX_RESULT + " bytes]" : text;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
