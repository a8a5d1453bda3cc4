package dev.parley.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.agentconfig.FieldError;
import dev.parley.agentconfig.InvalidConfigException;
import dev.parley.routing.AgentDirectory;
import dev.parley.routing.RouteDecision;
import dev.parley.routing.Router;
import dev.parley.routing.RoutingRules;
import dev.parley.routing.SessionMetadata;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code POST /routing/resolve}: the router's own decision code, over the stored rules and configs. */
final class Resolver {
  private final AgentStore agents;
  private final RulesStore rules;

  private final java.time.Clock clock;

  Resolver(AgentStore agents, RulesStore rules) {
    this(agents, rules, java.time.Clock.systemUTC());
  }

  Resolver(AgentStore agents, RulesStore rules, java.time.Clock clock) {
    this.agents = agents;
    this.rules = rules;
    this.clock = clock;
  }

  Map<String, Object> resolve(JsonNode request) {
    String tenant = text(request, "tenant_id");
    String roomMetadata = metadata(request, "room_metadata");
    String participantMetadata = metadata(request, "participant_metadata");
    Map<String, String> attributes = new HashMap<>();
    JsonNode attrs = request.get("attributes");
    if (attrs != null && !attrs.isNull()) {
      if (!attrs.isObject()) {
        throw new InvalidConfigException(new FieldError("attributes", "must be an object of strings"));
      }
      attrs.fields().forEachRemaining(f -> attributes.put(f.getKey(), f.getValue().asText()));
    }
    // as the router: the session's tenant, else the tenant_id its metadata carries
    SessionMetadata session = SessionMetadata.parse(roomMetadata, participantMetadata, attributes).withTenant(tenant);
    tenant = session.tenantId();
    String rulesId = RulesStore.DEFAULT_ID;
    RoutingRules active = RoutingRules.defaults();
    var tenantRules = tenant == null ? java.util.Optional.<RulesStore.StoredRules>empty()
        : rules.current(tenant).filter(s -> s.rules().isPresent());
    var chosen = tenantRules.or(() -> rules.current(RulesStore.DEFAULT_ID).filter(s -> s.rules().isPresent()));
    if (chosen.isPresent()) {
      rulesId = chosen.get().rulesId();
      active = chosen.get().rules().orElseThrow();
    } else {
      rulesId = "built-in";
    }
    AgentDirectory directory = id -> agents.current(id)
        .map(c -> new AgentDirectory.AgentRef(c.agentId(), c.version(), c.isActive(), c.tenantId()));
    java.time.Instant at = clock.instant();
    String atText = text(request, "at");
    if (atText != null) {
      try {
        at = java.time.OffsetDateTime.parse(atText).toInstant();
      } catch (java.time.format.DateTimeParseException e) {
        throw new InvalidConfigException(new FieldError("at", "'" + atText + "' is not a time with an offset"
            + " (ISO-8601, e.g. 2026-03-29T08:30:00Z or 2026-03-29T09:30:00+01:00)"));
      }
    }
    RouteDecision decision = Router.decide(session, active, directory, at);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("agent_id", decision.agentId());
    body.put("config_version", decision.configVersion());
    body.put("strategy", decision.strategy().name());
    body.put("rule_id", decision.ruleId());
    body.put("reason", decision.reason());
    body.put("experiment_id", decision.experimentId());
    body.put("variant", decision.variant());
    body.put("rules_id", rulesId);
    body.put("rules_version", decision.rulesVersion());
    body.put("at", at.toString());
    return body;
  }

  private static String metadata(JsonNode request, String field) {
    JsonNode value = request.get(field);
    if (value == null || value.isNull()) {
      return null;
    }
    return value.isTextual() ? value.asText() : value.toString();
  }

  private static String text(JsonNode request, String field) {
    JsonNode value = request.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }
}
