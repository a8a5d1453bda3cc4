package dev.parley.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.agentconfig.AgentConfigs;
import dev.parley.agentconfig.FieldError;
import dev.parley.agentconfig.InvalidConfigException;
import dev.parley.insights.Analytics;
import dev.parley.insights.AnalyticsReport;
import dev.parley.insights.Progress;
import dev.parley.insights.SessionLog;
import dev.parley.insights.SessionNotFoundException;
import dev.parley.insights.SessionTimeline;
import dev.parley.insights.TimeArg;
import dev.parley.insights.WhatIf;
import dev.parley.llm.OfflineResponder;
import dev.parley.schemas.TopicNames;
import dev.parley.webapi.ApiHttp;
import dev.parley.webapi.ApiKeys.Role;
import dev.parley.webapi.ApiKeys;
import dev.parley.webapi.NotFoundException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Sessions read back from the topics: a session's timeline, per-agent analytics over a time range,
 * and what-if replay of recorded sessions through a config version read from the versions topic. Reads need a
 * read key; what-if calls the LLM, so it needs the admin key. At most two of these run at once.
 */
final class InsightsApi {
  static final int MAX_WHATIF_SESSIONS = 20;
  private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9_.:#-]{1,200}");
  private final String bootstrapServers;
  /** How long what-if waits for a version published a moment ago to reach this process. */
  private static final Duration NEW_VERSION_WAIT = Duration.ofSeconds(3);
  private final AgentConfigs configs;
  private final ApiKeys keys;
  private final Supplier<OfflineResponder> responder;
  private final Semaphore running = new Semaphore(2);

  InsightsApi(String bootstrapServers, AgentConfigs configs, ApiKeys keys, Supplier<OfflineResponder> responder) {
    this.bootstrapServers = bootstrapServers;
    this.configs = configs;
    this.keys = keys;
    this.responder = responder;
  }

  void register(Javalin app) {
    app.get(ApiHttp.PREFIX + "/sessions/{session_id}/replay", ctx -> {
      keys.require(ctx, Role.READ_ONLY);
      limited(() -> replay(ctx));
    });
    app.get(ApiHttp.PREFIX + "/analytics", ctx -> {
      keys.require(ctx, Role.READ_ONLY);
      limited(() -> analytics(ctx));
    });
    app.post(ApiHttp.PREFIX + "/whatif", ctx -> {
      keys.require(ctx, Role.ADMIN);
      limited(() -> whatIf(ctx));
    });
    app.exception(SessionNotFoundException.class, (e, ctx) -> ctx.status(404).json(Map.of("error", "not_found",
        "message", e.getMessage())));
  }

  private void replay(Context ctx) {
    String id = ctx.pathParam("session_id");
    if (!SESSION_ID.matcher(id).matches()) {
      throw new InvalidConfigException(new FieldError("session_id", "1-200 letters, digits or . _ : # -"));
    }
    String format = format(ctx, "json", List.of("json", "text", "html"));
    SessionTimeline timeline;
    try (SessionLog log = new SessionLog(bootstrapServers)) {
      timeline = SessionTimeline.of(id, log.session(id));
    }
    switch (format) {
      case "text" -> ctx.contentType("text/plain; charset=utf-8").result(timeline.toText());
      case "html" -> ctx.contentType("text/html; charset=utf-8").result(timeline.toHtml());
      default -> ctx.contentType("application/json").result(timeline.toJson().toString());
    }
  }

  private void analytics(Context ctx) {
    Instant now = Instant.now();
    Instant from = time(ctx, "from", "-1d", now);
    Instant to = time(ctx, "to", "now", now);
    if (!from.isBefore(to)) {
      throw new InvalidConfigException(new FieldError("from", "must be before 'to'"));
    }
    Set<String> wanted = new LinkedHashSet<>();
    for (String agent : ctx.queryParams("agent")) {
      for (String id : agent.split(",")) {
        if (!TopicNames.isValidAgentId(id.strip())) {
          throw new InvalidConfigException(new FieldError("agent", "'" + id + "' is not an agent id"));
        }
        wanted.add(id.strip());
      }
    }
    String format = format(ctx, "json", List.of("json", "csv", "html"));
    ObjectNode report;
    try (SessionLog log = new SessionLog(bootstrapServers)) {
      report = Analytics.run(log, new Analytics.Options(from, to, wanted, Duration.ofMinutes(5)), Progress.NONE);
    }
    switch (format) {
      case "csv" -> ctx.contentType("text/csv; charset=utf-8").result(AnalyticsReport.toCsv(report));
      case "html" -> ctx.contentType("text/html; charset=utf-8").result(AnalyticsReport.toHtml(report));
      default -> ctx.contentType("application/json").result(report.toString());
    }
  }

  private void whatIf(Context ctx) {
    JsonNode body = ApiHttp.jsonBody(ctx);
    JsonNode agentNode = body.get("agent_id");
    if (agentNode == null || !agentNode.isTextual() || !TopicNames.isValidAgentId(agentNode.asText())) {
      throw new InvalidConfigException(new FieldError("agent_id", "is required: the agent whose version to replay"));
    }
    JsonNode versionNode = body.get("version");
    if (versionNode == null || !versionNode.canConvertToInt() || versionNode.asInt() < 1) {
      throw new InvalidConfigException(new FieldError("version", "is required: a version number of the agent"));
    }
    String agentId = agentNode.asText();
    int version = versionNode.asInt();
    AgentConfig candidate = configs.findWaiting(agentId, version, NEW_VERSION_WAIT)
        .filter(found -> found.note() == null).map(AgentConfigCache.Found::config)
        .orElseThrow(() -> new NotFoundException("agent '" + agentId + "' has no version " + version
            + " (as published on the versions topic)")).withDefaults();
    List<WhatIf.Result> results = new ArrayList<>();
    try (SessionLog log = new SessionLog(bootstrapServers)) {
      List<String> ids = sessionIds(body, log, agentId);
      WhatIf whatIf = WhatIf.with(responder.get());
      for (String id : ids) {
        results.add(whatIf.replay(SessionTimeline.of(id, log.session(id)), candidate, line -> { }));
      }
    }
    ctx.contentType("application/json").result((results.size() == 1 && body.has("session_ids")
        ? WhatIf.toJson(results.get(0)) : WhatIf.summary(results)).toString());
  }

  private List<String> sessionIds(JsonNode body, SessionLog log, String agentId) {
    JsonNode ids = body.get("session_ids");
    JsonNode sample = body.get("sample");
    if ((ids == null) == (sample == null)) {
      throw new InvalidConfigException(new FieldError("session_ids", "give either session_ids (a list) or sample (a"
          + " number of recent sessions of the agent)"));
    }
    if (ids != null) {
      if (!ids.isArray() || ids.isEmpty() || ids.size() > MAX_WHATIF_SESSIONS) {
        throw new InvalidConfigException(new FieldError("session_ids", "a list of 1-" + MAX_WHATIF_SESSIONS
            + " session ids"));
      }
      List<String> list = new ArrayList<>();
      for (JsonNode id : ids) {
        if (!id.isTextual() || !SESSION_ID.matcher(id.asText()).matches()) {
          throw new InvalidConfigException(new FieldError("session_ids", "'" + id + "' is not a session id"));
        }
        list.add(id.asText());
      }
      return list;
    }
    if (!sample.canConvertToInt() || sample.asInt() < 1 || sample.asInt() > MAX_WHATIF_SESSIONS) {
      throw new InvalidConfigException(new FieldError("sample", "a number from 1 to " + MAX_WHATIF_SESSIONS));
    }
    Instant now = Instant.now();
    Instant from = body.hasNonNull("from") ? parse("from", body.get("from").asText(), now) : now.minus(Duration.ofDays(7));
    List<String> found = log.recentSessions(agentId, from, now, sample.asInt());
    if (found.isEmpty()) {
      throw new NotFoundException("no sessions of agent '" + agentId + "' since " + from);
    }
    return found;
  }

  private static Instant time(Context ctx, String name, String fallback, Instant now) {
    String raw = ctx.queryParam(name);
    return parse(name, raw == null || raw.isBlank() ? fallback : raw, now);
  }

  private static Instant parse(String name, String raw, Instant now) {
    try {
      return TimeArg.parse(raw, now);
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigException(new FieldError(name, e.getMessage()));
    }
  }

  private static String format(Context ctx, String fallback, List<String> allowed) {
    String format = ctx.queryParamAsClass("format", String.class).getOrDefault(fallback);
    if (!allowed.contains(format)) {
      throw new InvalidConfigException(new FieldError("format", "one of " + allowed));
    }
    return format;
  }

  /** Runs {@code work} if fewer than two insights requests are running, else answers 503 with Retry-After. */
  private void limited(Runnable work) {
    if (!running.tryAcquire()) {
      throw new ApiHttp.ApiError(503, "busy", "two session reads are already running; retry shortly");
    }
    try {
      work.run();
    } catch (IllegalStateException e) { // Kafka unreachable, or the LLM provider not configured
      throw new ApiHttp.ApiError(503, "unavailable", e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new ApiHttp.ApiError(400, "bad_request", e.getMessage());
    } finally {
      running.release();
    }
  }
}
