package dev.parley.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.FieldError;
import dev.parley.agentconfig.InvalidConfigException;
import dev.parley.routing.RoutingRules;
import dev.parley.schemas.TopicNames;
import dev.parley.webapi.ApiHttp;
import dev.parley.webapi.ApiKeys.Role;
import dev.parley.webapi.ApiKeys;
import dev.parley.webapi.NotFoundException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The Admin API's routes: agent configs, routing rules and resolve, behind the API keys. */
final class AdminApi {
  static final String PREFIX = ApiHttp.PREFIX;
  private static final Pattern RULES_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private final AgentStore agents;
  private final RulesStore rules;
  private final Reconciler reconciler;
  private final Resolver resolver;
  private final ApiKeys keys;
  private final Runnable afterWrite;

  AdminApi(AgentStore agents, RulesStore rules, Reconciler reconciler, Resolver resolver, ApiKeys keys,
      Runnable afterWrite) {
    this.agents = agents;
    this.rules = rules;
    this.reconciler = reconciler;
    this.resolver = resolver;
    this.keys = keys;
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
        agents.version(agentId(ctx), ApiHttp.intParam(ctx.pathParam("version"), "version", 1, Integer.MAX_VALUE))
            .orElseThrow(() -> new NotFoundException("agent '" + ctx.pathParam("agent_id") + "' has no version "
                + ctx.pathParam("version")))));
    app.patch(PREFIX + "/agents/config/{agent_id}", ctx -> written(ctx,
        agents.patch(agentId(ctx), ApiHttp.jsonBody(ctx), ifMatch(ctx)), 200));
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
        ApiHttp.intQuery(ctx, "offset", 0, 0, Integer.MAX_VALUE), ApiHttp.intQuery(ctx, "limit", 50, 1, 200)).stream()
        .map(AdminApi::rulesJson).toList())));
    app.post(PREFIX + "/routing/resolve", ctx -> ctx.json(resolver.resolve(ApiHttp.jsonBody(ctx))));
  }

  /** Reads need the read-only or admin key; writes need the admin key; the token endpoint is public but rate limited. */
  private void authorize(Context ctx) {
    if (ctx.path().equals(PREFIX + "/livekit/token")) {
      return;
    }
    boolean read = ctx.method() == HandlerType.GET || ctx.path().equals(PREFIX + "/routing/resolve");
    keys.require(ctx, read ? Role.READ_ONLY : Role.ADMIN);
  }

  private void create(Context ctx) {
    AgentConfig input = AgentConfigJson.read(ApiHttp.body(ctx));
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
      throw new ApiHttp.ApiError(400, "bad_request", "status: must be 'active' or 'archived'");
    }
    AgentStore.Page page = agents.list(tenant, status, ApiHttp.intQuery(ctx, "offset", 0, 0, Integer.MAX_VALUE),
        ApiHttp.intQuery(ctx, "limit", 50, 1, 200));
    ObjectNode body = AgentConfigJson.MAPPER.createObjectNode();
    body.set("items", AgentConfigJson.MAPPER.valueToTree(page.items()));
    body.put("total", page.total()).put("offset", page.offset()).put("limit", page.limit());
    ctx.contentType("application/json").result(body.toString());
  }

  private void versions(Context ctx) {
    String id = agentId(ctx);
    List<AgentConfig> history = agents.history(id, ApiHttp.intQuery(ctx, "offset", 0, 0, Integer.MAX_VALUE),
        ApiHttp.intQuery(ctx, "limit", 50, 1, 200));
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
      input = RoutingRules.fromJson(ApiHttp.body(ctx));
    } catch (IllegalArgumentException e) {
      throw new ApiHttp.ApiError(400, "validation_failed", e.getMessage());
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
      throw new ApiHttp.ApiError(400, "bad_request", "If-Match: expected a version number such as \"3\", got " + header);
    }
  }

}
