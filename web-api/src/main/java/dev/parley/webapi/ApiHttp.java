package dev.parley.webapi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.FieldError;
import dev.parley.agentconfig.InvalidConfigException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How Parley's HTTP APIs read requests and answer errors: one JSON error shape
 * ({@code {"error", "message", "details"}}), the status per cause. A service maps its own exceptions with
 * {@link #error} after {@link #registerErrors}.
 */
public final class ApiHttp {
  public static final String PREFIX = "/api/v1";

  private ApiHttp() {}

  public static String body(Context ctx) {
    String body = ctx.body();
    if (body.isBlank()) {
      throw new InvalidConfigException(new FieldError("$", "a JSON body is required"));
    }
    return body;
  }

  public static JsonNode jsonBody(Context ctx) {
    try {
      JsonNode node = AgentConfigJson.MAPPER.readTree(body(ctx));
      if (node == null || !node.isObject()) {
        throw new InvalidConfigException(new FieldError("$", "a JSON object is required"));
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new InvalidConfigException(new FieldError("$", "not valid JSON: " + e.getOriginalMessage()));
    }
  }

  public static String requiredText(JsonNode body, String field, Pattern pattern, String rule) {
    JsonNode value = body.get(field);
    if (value == null || !value.isTextual() || !pattern.matcher(value.asText()).matches()) {
      throw new InvalidConfigException(new FieldError(field, "is required: " + rule));
    }
    return value.asText();
  }

  public static int intQuery(Context ctx, String name, int defaultValue, int min, int max) {
    String raw = ctx.queryParam(name);
    return raw == null ? defaultValue : intParam(raw, name, min, max);
  }

  public static int intParam(String raw, String name, int min, int max) {
    try {
      int value = Integer.parseInt(raw);
      if (value < min || value > max) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new ApiError(400, "bad_request", name + ": must be a whole number between " + min + " and " + max);
    }
  }

  /** An error with its HTTP status and machine-readable code. */
  public static final class ApiError extends RuntimeException {
    final int status;
    final String code;

    public ApiError(int status, String code, String message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  public static void registerErrors(Javalin app) {
    app.exception(InvalidConfigException.class, (e, ctx) -> error(ctx, 400, "validation_failed", e.getMessage(),
        e.errors()));
    app.exception(ApiError.class, (e, ctx) -> error(ctx, e.status, e.code, e.getMessage(), List.of()));
    app.exception(NotFoundException.class, (e, ctx) -> error(ctx, 404, "not_found", e.getMessage(), List.of()));
    app.exception(Exception.class, (e, ctx) -> {
      org.slf4j.LoggerFactory.getLogger(ApiHttp.class).error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
      error(ctx, 500, "internal_error", "unexpected error; see the service log", List.of());
    });
    app.error(404, ctx -> {
      if (ctx.result() == null || ctx.result().isEmpty()) {
        error(ctx, 404, "not_found", "no such endpoint: " + ctx.method() + " " + ctx.path(), List.of());
      }
    });
    app.error(HttpStatus.CONTENT_TOO_LARGE.getCode(), ctx -> error(ctx, 413, "too_large",
        "request body too large", List.of()));
  }

  /** Answers {@code status} with the one error shape. */
  public static void error(Context ctx, int status, String code, String message, List<FieldError> details) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", code);
    body.put("message", message);
    if (!details.isEmpty()) {
      body.put("details", details);
    }
    ctx.status(status).json(body);
  }
}
