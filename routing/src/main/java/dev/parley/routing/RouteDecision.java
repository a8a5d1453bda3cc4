package dev.parley.routing;

import dev.parley.events.RoutingStrategy;

/**
 * Which agent a session goes to, at which config version, by which rule, and why.
 *
 * @param experimentId and {@code variant} are set only for {@link RoutingStrategy#EXPERIMENT}
 */
public record RouteDecision(String agentId, int configVersion, RoutingStrategy strategy, String ruleId,
    String reason, String experimentId, String variant, int rulesVersion) {}
