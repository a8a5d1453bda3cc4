package dev.parley.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.events.RoutingStrategy;
import dev.parley.routing.AgentDirectory.AgentRef;
import dev.parley.routing.RoutingRules.TimeRule;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The seed's business-hours routing as a rule kind, judged at a fixed instant. */
class TimeRoutingTest {
  private static final Map<String, AgentRef> AGENTS = Map.of(
      "support-agent-friendly-v1", new AgentRef("support-agent-friendly-v1", 1, true),
      "support-agent-concise-v1", new AgentRef("support-agent-concise-v1", 1, true),
      "night-desk-v1", new AgentRef("night-desk-v1", 2, true),
      "support-agent-v1", new AgentRef("support-agent-v1", 4, true));

  /** Business hours Monday to Friday in London send support callers to the friendly agent. */
  private static final RoutingRules RULES = new RoutingRules(3, "support-agent-v1",
      Map.of("support", "support-agent-concise-v1"), List.of(), List.of(), List.of(
          new TimeRule("business-hours", "Europe/London", List.of("mon", "tue", "wed", "thu", "fri"), "09:00", "17:00",
              "support", "support-agent-friendly-v1"),
          new TimeRule("night-desk", "America/New_York", List.of("fri"), "22:00", "06:00", null, "night-desk-v1")));

  private static RouteDecision route(String metadata, String at) {
    return Router.decide(SessionMetadata.parse(metadata, null, Map.of()), RULES, AgentDirectory.of(AGENTS),
        Instant.parse(at));
  }

  @Test
  void businessHoursPickTheFriendlyAgentAndAfterHoursTheUsualMapping() {
    RouteDecision open = route("{\"purpose\":\"support\"}", "2026-12-02T10:30:00Z"); // Wednesday 10:30 GMT
    assertThat(open.agentId()).isEqualTo("support-agent-friendly-v1");
    assertThat(open.strategy()).isEqualTo(RoutingStrategy.TIME_WINDOW);
    assertThat(open.ruleId()).isEqualTo("business-hours");
    assertThat(open.reason()).contains("time rule business-hours: 09:00-17:00 mon,tue,wed,thu,fri Europe/London");

    assertThat(route("{\"purpose\":\"support\"}", "2026-12-02T17:00:00Z").agentId()).as("the end is exclusive")
        .isEqualTo("support-agent-concise-v1");
    assertThat(route("{\"purpose\":\"support\"}", "2026-12-02T08:59:59Z").agentId())
        .isEqualTo("support-agent-concise-v1");
    assertThat(route("{\"purpose\":\"support\"}", "2026-12-05T12:00:00Z").agentId()).as("Saturday")
        .isEqualTo("support-agent-concise-v1");
    assertThat(route("{\"purpose\":\"sales\"}", "2026-12-02T10:30:00Z").agentId())
        .as("a window for support does not take other purposes").isEqualTo("support-agent-v1");
  }

  @Test
  void theWindowFollowsTheClocksAcrossADaylightSavingChange() {
    // London moves to BST on Sunday 29 March 2026: 08:30 UTC is 08:30 local on Friday 27th, 09:30 on Monday 30th
    assertThat(route("{\"purpose\":\"support\"}", "2026-03-27T08:30:00Z").agentId())
        .isEqualTo("support-agent-concise-v1");
    assertThat(route("{\"purpose\":\"support\"}", "2026-03-30T08:30:00Z").agentId())
        .isEqualTo("support-agent-friendly-v1");
    assertThat(route("{\"purpose\":\"support\"}", "2026-03-30T16:30:00Z").agentId()).as("17:30 BST")
        .isEqualTo("support-agent-concise-v1");
    // and back to GMT on Sunday 25 October 2026: 16:30 UTC is 16:30 local on Monday 26th, still open
    assertThat(route("{\"purpose\":\"support\"}", "2026-10-26T16:30:00Z").agentId())
        .isEqualTo("support-agent-friendly-v1");
  }

  @Test
  void aWindowAcrossMidnightBelongsToTheDayItOpens() {
    // Friday 22:00 to Saturday 06:00 in New York (EST, UTC-5 in December)
    assertThat(route(null, "2026-12-05T03:30:00Z").agentId()).as("Friday 22:30").isEqualTo("night-desk-v1");
    assertThat(route(null, "2026-12-05T10:59:00Z").agentId()).as("Saturday 05:59").isEqualTo("night-desk-v1");
    assertThat(route(null, "2026-12-05T11:00:00Z").agentId()).as("Saturday 06:00").isEqualTo("support-agent-v1");
    assertThat(route(null, "2026-12-04T02:00:00Z").agentId()).as("Thursday 21:00 → not Friday's window")
        .isEqualTo("support-agent-v1");
    assertThat(route(null, "2026-12-06T04:00:00Z").agentId()).as("Saturday 23:00: Saturday has no window")
        .isEqualTo("support-agent-v1");
    RouteDecision night = route("{\"purpose\":\"nothing-mapped\"}", "2026-12-05T03:30:00Z");
    assertThat(night.strategy()).isEqualTo(RoutingStrategy.TIME_WINDOW);
    assertThat(night.reason()).contains("purpose 'nothing-mapped' has no agent");
  }

  @Test
  void anArchivedWindowAgentIsSkippedAndSaidSo() {
    Map<String, AgentRef> agents = new java.util.HashMap<>(AGENTS);
    agents.put("support-agent-friendly-v1", new AgentRef("support-agent-friendly-v1", 2, false));
    RouteDecision decision = Router.decide(SessionMetadata.parse("{\"purpose\":\"support\"}", null, Map.of()), RULES,
        AgentDirectory.of(agents), Instant.parse("2026-12-02T10:30:00Z"));
    assertThat(decision.agentId()).isEqualTo("support-agent-concise-v1");
    assertThat(decision.reason()).contains("time rule business-hours maps to 'support-agent-friendly-v1', which is"
        + " archived");
  }

  @Test
  void badWindowsAreNamedFieldByField() {
    RoutingRules bad = RoutingRules.fromJson("""
        {"default_agent": "support-agent-v1", "time_rules": [
          {"id": "x", "time_zone": "Mars/Olympus", "days": ["monday"], "from": "9am", "to": "25:00",
           "agent_id": "support-agent-v1"},
          {"id": "x", "from": "09:00", "to": "17:00", "agent_id": "bad id!"}]}
        """);
    assertThat(bad.validate()).contains(
        "time_rules[0].time_zone: 'Mars/Olympus' is not a time zone (an IANA zone such as Europe/London or"
            + " America/New_York)",
        "time_rules[0].days: 'monday' is not a day (one of mon, tue, wed, thu, fri, sat, sun)",
        "time_rules[0].from: '9am' is not a time (24-hour HH:mm, e.g. 09:00)",
        "time_rules[0].to: '25:00' is not a time (24-hour HH:mm, e.g. 09:00)",
        "time_rules[1].id: 'x' is used twice",
        "time_rules[1].time_zone: is required (an IANA zone such as Europe/London or America/New_York)");
    assertThat(bad.validate()).anyMatch(e -> e.startsWith("time_rules[1].agent_id: 'bad id!' is not a valid agent id"));
  }

  @Test
  void timeRulesSurviveTheJsonRoundTrip() {
    RoutingRules back = RoutingRules.fromJson(RULES.toJson());
    assertThat(back.timeRules()).isEqualTo(RULES.timeRules());
    assertThat(back.validate()).isEmpty();
  }

  @Test
  void theSharedCasesThatRouterAndResolveAreHeldTo() throws Exception {
    var cases = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        TimeRoutingTest.class.getResourceAsStream("/time-routing-cases.json"));
    RoutingRules rules = RoutingRules.fromJson(cases.get("rules").toString());
    assertThat(rules.validate()).isEmpty();
    Map<String, AgentRef> seeds = new java.util.HashMap<>();
    for (String id : List.of("support-agent-v1", "sales-agent-v1", "onboarding-agent-v1", "pte-interview-agent-v1")) {
      seeds.put(id, new AgentRef(id, 1, true));
    }
    for (var c : cases.get("cases")) {
      RouteDecision decision = Router.decide(SessionMetadata.parse(c.get("metadata").toString(), null, Map.of()),
          rules, AgentDirectory.of(seeds), Instant.parse(c.get("at").asText()));
      assertThat(decision.agentId()).as(c.get("name").asText()).isEqualTo(c.get("agent_id").asText());
      assertThat(decision.strategy().name()).as(c.get("name").asText()).isEqualTo(c.get("strategy").asText());
    }
  }
}
