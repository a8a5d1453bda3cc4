package dev.parley.config;

import dev.parley.livekit.CallerTokens;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.FieldError;
import dev.parley.agentconfig.InvalidConfigException;
import dev.parley.config.ApiKeys.Role;
import dev.parley.routing.RoutingRules;
import dev.parley.schemas.TopicNames;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The Admin API's routes: agent configs, routing rules, resolve, LiveKit tokens. */
final class AdminApi {
  static final String PREFIX = "/api/v1";
  private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
  private static final Pattern RULES_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private final AgentStore agents;
  private final RulesStore rules;
  private final Reconciler reconciler;
  private final Resolver resolver;
  private final CallerTokens tokens;
  private final RateLimiter tokenLimiter;
  private final ApiKeys keys;
  private final String livekitUrl;
  private final Runnable afterWrite;

  AdminApi(AgentStore agents, RulesStore rules, Reconciler reconciler, Resolver resolver, CallerTokens tokens,
      RateLimiter tokenLimiter, ApiKeys keys, String livekitUrl, Runnable afterWrite) {
    this.agents = agents;
    this.rules = rules;
    this.reconciler = reconciler;
    this.resolver = resolver;
    this.tokens = tokens;
    this.tokenLimiter = tokenLimiter;
    this.keys = keys;
    this.livekitUrl = livekitUrl;
    this.afterWrite = afterWrite;
  }

  void register(Javalin app) {
    app.before(PREFIX + "/*", this::authorize);
    app.post(PREFIX + "/agents/config", this::create);
    app.get(PREFIX + "/agents/list", this::list);
    app.get(PREFIX + "/agents/config/{agent_id}", ctx -> sendConfig(ctx, agents.current(agentId(ctx))
        .orElseThrow(() -> new NotFoundException("no agent '" + ctx.pathParam("agent_id") + "'"))));
    app.get(PREFIX + "/agents/config/{agent_id}/versions", this::versions);
    app.get(PREFIX + "/agents/config/{agent_id}/versions/{version}", ctx -> sendConfig(ctx,
        agents.version(agentId(ctx), intParam(ctx.pathParam("version"), "version", 1, Integer.MAX_VALUE))
            .orElseThrow(() -> new NotFoundException("agent '" + ctx.pathParam("agent_id") + "' has no version "
                + ctx.pathParam("version")))));
    app.patch(PREFIX + "/agents/config/{agent_id}", ctx -> written(ctx,
        agents.patch(agentId(ctx), jsonBody(ctx), ifMatch(ctx)), 200));
    app.delete(PREFIX + "/agents/config/{agent_id}", ctx -> written(ctx, agents.patch(agentId(ctx),
        AgentConfigJson.MAPPER.createObjectNode().put("status", AgentConfig.ARCHIVED), ifMatch(ctx)), 200));
    app.get(PREFIX + "/routing/rules", this::getRules);
    app.put(PREFIX + "/routing/rules", this::putRules);
    app.delete(PREFIX + "/routing/rules", ctx -> {
      RulesStore.StoredRules deleted = rules.delete(rulesId(ctx), ifMatch(ctx));
      afterWrite.run();
      ctx.json(Map.of("rules_id", deleted.rulesId(), "version", deleted.version(), "deleted", true));
    });
    app.get(PREFIX + "/routing/rules/versions", ctx -> ctx.json(Map.of("items", rules.history(rulesId(ctx),
        intQuery(ctx, "offset", 0, 0, Integer.MAX_VALUE), intQuery(ctx, "limit", 50, 1, 200)).stream()
        .map(AdminApi::rulesJson).toList())));
    app.post(PREFIX + "/routing/resolve", ctx -> ctx.json(resolver.resolve(jsonBody(ctx))));
    app.post(PREFIX + "/livekit/token", this::token);
    app.post("/api/livekit/token", this::seedToken); // the seed system's frontend, unchanged
  }

  /** Reads need the read-only or admin key; writes need the admin key; the token endpoint is public but rate limited. */
  private void authorize(Context ctx) {
    if (ctx.path().equals(PREFIX + "/livekit/token")) {
      return;
    }
    Role role = keys.roleOf(ctx);
    boolean read = ctx.method() == HandlerType.GET || ctx.path().equals(PREFIX + "/routing/resolve");
    if (role == Role.NONE) {
      throw new ApiError(401, "unauthorized", "an API key is required (Authorization: Bearer <key> or X-API-Key)");
    }
    if (!read && role != Role.ADMIN) {
      throw new ApiError(403, "forbidden", "this key is read-only; changes need the admin key");
    }
  }

  private void create(Context ctx) {
    AgentConfig input = AgentConfigJson.read(body(ctx));
    written(ctx, agents.create(input), 201);
    ctx.header("Location", PREFIX + "/agents/config/" + input.agentId());
  }

  private void written(Context ctx, AgentConfig config, int status) {
    afterWrite.run();
    ctx.status(status);
    sendConfig(ctx, config);
  }

  private void sendConfig(Context ctx, AgentConfig config) {
    ctx.header("ETag", "\"" + config.version() + "\"");
    ctx.contentType("application/json").result(AgentConfigJson.write(config));
  }

  private void list(Context ctx) {
    String tenant = ctx.queryParam("tenant_id");
    String status = ctx.queryParam("status");
    if (status != null && !List.of(AgentConfig.ACTIVE, AgentConfig.ARCHIVED).contains(status)) {
      throw new ApiError(400, "bad_request", "status: must be 'active' or 'archived'");
    }
    AgentStore.Page page = agents.list(tenant, status, intQuery(ctx, "offset", 0, 0, Integer.MAX_VALUE),
        intQuery(ctx, "limit", 50, 1, 200));
    ObjectNode body = AgentConfigJson.MAPPER.createObjectNode();
    body.set("items", AgentConfigJson.MAPPER.valueToTree(page.items()));
    body.put("total", page.total()).put("offset", page.offset()).put("limit", page.limit());
    ctx.contentType("application/json").result(body.toString());
  }

  private void versions(Context ctx) {
    String id = agentId(ctx);
    List<AgentConfig> history = agents.history(id, intQuery(ctx, "offset", 0, 0, Integer.MAX_VALUE),
        intQuery(ctx, "limit", 50, 1, 200));
    if (history.isEmpty() && agents.current(id).isEmpty()) {
      throw new NotFoundException("no agent '" + id + "'");
    }
    ObjectNode body = AgentConfigJson.MAPPER.createObjectNode();
    body.set("items", AgentConfigJson.MAPPER.valueToTree(history));
    ctx.contentType("application/json").result(body.toString());
  }

  private void getRules(Context ctx) {
    String id = rulesId(ctx);
    RulesStore.StoredRules stored = rules.current(id).filter(s -> s.rules().isPresent())
        .orElseThrow(() -> new NotFoundException("no routing rules '" + id + "'"
            + (id.equals(RulesStore.DEFAULT_ID) ? " (the router uses its built-in rules)" : "")));
    ctx.header("ETag", "\"" + stored.version() + "\"");
    ctx.json(rulesJson(stored));
  }

  private void putRules(Context ctx) {
    RoutingRules input;
    try {
      input = RoutingRules.fromJson(body(ctx));
    } catch (IllegalArgumentException e) {
      throw new ApiError(400, "validation_failed", e.getMessage());
    }
    List<String> problems = input.validate();
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems.stream().map(p -> {
        int colon = p.indexOf(": ");
        return colon < 0 ? new FieldError("$", p) : new FieldError(p.substring(0, colon), p.substring(colon + 2));
      }).toList());
    }
    RulesStore.StoredRules stored = rules.put(rulesId(ctx), input, ifMatch(ctx));
    afterWrite.run();
    ctx.header("ETag", "\"" + stored.version() + "\"");
    ctx.json(rulesJson(stored));
  }

  static Map<String, Object> rulesJson(RulesStore.StoredRules stored) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("rules_id", stored.rulesId());
    body.put("version", stored.version());
    body.put("updated_at", stored.at().toString());
    stored.rules().ifPresentOrElse(r -> body.put("rules", r), () -> body.put("deleted", true));
    return body;
  }

  private void token(Context ctx) {
    limitTokens(ctx);
    JsonNode body = jsonBody(ctx);
    String room = requiredText(body, "room_name", ROOM, "1-128 letters, digits, '.', '-' or '_'");
    String identity = requiredText(body, "identity", ROOM, "1-128 letters, digits, '.', '-' or '_'");
    String name = body.hasNonNull("name") ? body.get("name").asText() : null;
    issue(ctx, room, identity, name, body.get("metadata"), "metadata");
  }

  /**
   * The seed system's token route, as its frontend calls it: {@code POST /api/livekit/token} with
   * {@code {"roomName", "userName", "metadata"}}, answered with {@code {"token", ...}}. The user name (spaces
   * and all) becomes the display name; the identity is a safe form of it plus a random suffix, so two
   * "John Doe"s never push each other out of a room.
   */
  void seedToken(Context ctx) {
    limitTokens(ctx);
    JsonNode body = jsonBody(ctx);
    String room = requiredText(body, "roomName", ROOM, "1-128 letters, digits, '.', '-' or '_'");
    JsonNode userName = body.get("userName");
    if (userName == null || !userName.isTextual() || userName.asText().isBlank() || userName.asText().length() > 128
        || userName.asText().chars().anyMatch(Character::isISOControl)) {
      throw new InvalidConfigException(new FieldError("userName", "is required: 1-128 characters, no control"
          + " characters"));
    }
    issue(ctx, room, identityFor(userName.asText()), userName.asText().strip(), body.get("metadata"), "metadata");
  }

  /** A LiveKit identity for a display name: lower case, runs of other characters as '-', a random suffix. */
  static String identityFor(String userName) {
    String safe = java.text.Normalizer.normalize(userName, java.text.Normalizer.Form.NFKD).toLowerCase(
        java.util.Locale.ROOT).replaceAll("[^a-z0-9_.]+", "-").replaceAll("^-+|-+$", "");
    if (safe.length() > 100) {
      safe = safe.substring(0, 100);
    }
    String suffix = java.util.HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(4)
        .putInt(java.util.concurrent.ThreadLocalRandom.current().nextInt()).array()).substring(0, 6);
    return (safe.isEmpty() ? "caller" : safe) + "-" + suffix;
  }

  private void limitTokens(Context ctx) {
    long wait = tokenLimiter.acquire(ctx.ip());
    if (wait > 0) {
      ctx.header("Retry-After", String.valueOf(wait));
      throw new ApiError(429, "rate_limited", "too many token requests; retry in " + wait + " s");
    }
  }

  /**
   * Signs the token. The tenant: a tenant's key on the request puts its tenant into the metadata (a different
   * {@code tenant_id} there is refused); without a key, a claimed {@code tenant_id} is refused once tenant keys
   * are configured, so no caller can speak as a tenant it has no key of.
   */
  private void issue(Context ctx, String room, String identity, String name, JsonNode metadata, String field) {
    com.fasterxml.jackson.databind.node.ObjectNode object;
    if (metadata == null || metadata.isNull()) {
      object = AgentConfigJson.MAPPER.createObjectNode();
    } else if (metadata.isObject()) {
      object = ((com.fasterxml.jackson.databind.node.ObjectNode) metadata).deepCopy();
    } else if (metadata.isTextual()) {
      try {
        JsonNode parsed = AgentConfigJson.MAPPER.readTree(metadata.asText());
        if (parsed == null || !parsed.isObject()) {
          throw new InvalidConfigException(new FieldError(field, "must be a JSON object (or a string holding one)"));
        }
        object = (com.fasterxml.jackson.databind.node.ObjectNode) parsed;
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new InvalidConfigException(new FieldError(field, "is a string but not JSON: " + e.getOriginalMessage()));
      }
    } else {
      throw new InvalidConfigException(new FieldError(field, "must be a JSON object (or a string holding one)"));
    }
    String keyTenant = keys.tenantOf(ctx);
    JsonNode claimed = object.get("tenant_id");
    String claim = claimed == null || claimed.isNull() ? null : claimed.asText();
    if (keyTenant != null) {
      if (claim != null && !claim.equals(keyTenant)) {
        throw new ApiError(403, "forbidden", "this key belongs to tenant '" + keyTenant + "', but " + field
            + ".tenant_id says '" + claim + "'");
      }
      object.put("tenant_id", keyTenant);
    } else if (claim != null && keys.hasTenantKeys()) {
      throw new ApiError(401, "unauthorized", field + ".tenant_id '" + claim + "' needs that tenant's key"
          + " (Authorization: Bearer <key> or X-API-Key)");
    }
    String metadataJson = object.toString();
    if (metadataJson.length() > 16 * 1024) {
      throw new InvalidConfigException(new FieldError(field, "at most 16 KiB"));
    }
    CallerTokens.Issued issued = tokens.issue(room, identity, name, metadataJson);
    ctx.json(Map.of("token", issued.token(), "url", livekitUrl, "room_name", room, "identity", identity,
        "expires_at", issued.expiresAt().toString()));
  }

  // ---- request helpers

  private static String agentId(Context ctx) {
    String id = ctx.pathParam("agent_id");
    if (!TopicNames.isValidAgentId(id)) {
      throw new InvalidConfigException(new FieldError("agent_id", "must match " + TopicNames.AGENT_ID));
    }
    return id;
  }

  private static String rulesId(Context ctx) {
    String id = ctx.queryParamAsClass("rules_id", String.class).getOrDefault(RulesStore.DEFAULT_ID);
    if (!RULES_ID.matcher(id).matches()) {
      throw new InvalidConfigException(new FieldError("rules_id", "1-64 letters, digits, '-' or '_'"));
    }
    return id;
  }

  private static Integer ifMatch(Context ctx) {
    String header = ctx.header("If-Match");
    if (header == null || header.isBlank()) {
      return null;
    }
    try {
      return Integer.parseInt(header.strip().replace("W/", "").replace("\"", ""));
    } catch (NumberFormatException e) {
      throw new ApiError(400, "bad_request", "If-Match: expected a version number such as \"3\", got " + header);
    }
  }

  private static String body(Context ctx) {
    String body = ctx.body();
    if (body.isBlank()) {
      throw new InvalidConfigException(new FieldError("$", "a JSON body is required"));
    }
    return body;
  }

  static JsonNode jsonBody(Context ctx) {
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

  private static String requiredText(JsonNode body, String field, Pattern pattern, String rule) {
    JsonNode value = body.get(field);
    if (value == null || !value.isTextual() || !pattern.matcher(value.asText()).matches()) {
      throw new InvalidConfigException(new FieldError(field, "is required: " + rule));
    }
    return value.asText();
  }

  private static int intQuery(Context ctx, String name, int defaultValue, int min, int max) {
    String raw = ctx.queryParam(name);
    return raw == null ? defaultValue : intParam(raw, name, min, max);
  }

  private static int intParam(String raw, String name, int min, int max) {
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
  static final class ApiError extends RuntimeException {
    final int status;
    final String code;

    ApiError(int status, String code, String message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  static void registerErrors(Javalin app) {
    app.exception(InvalidConfigException.class, (e, ctx) -> error(ctx, 400, "validation_failed", e.getMessage(),
        e.errors()));
    app.exception(ApiError.class, (e, ctx) -> error(ctx, e.status, e.code, e.getMessage(), List.of()));
    app.exception(NotFoundException.class, (e, ctx) -> error(ctx, 404, "not_found", e.getMessage(), List.of()));
    app.exception(ConflictException.class, (e, ctx) -> error(ctx, e.status(),
        e.status() == 412 ? "version_mismatch" : "conflict", e.getMessage(), List.of()));
    app.exception(com.mongodb.MongoException.class, (e, ctx) -> error(ctx, 503, "database_unavailable",
        "the config database is not reachable; nothing was changed: " + e.getClass().getSimpleName(), List.of()));
    app.exception(Exception.class, (e, ctx) -> {
      org.slf4j.LoggerFactory.getLogger(AdminApi.class).error("unexpected error on {} {}", ctx.method(), ctx.path(), e);
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

  private static void error(Context ctx, int status, String code, String message, List<FieldError> details) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", code);
    body.put("message", message);
    if (!details.isEmpty()) {
      body.put("details", details);
    }
    ctx.status(status).json(body);
  }
}
