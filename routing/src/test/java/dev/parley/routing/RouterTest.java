package dev.parley.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.events.RoutingStrategy;
import dev.parley.routing.AgentDirectory.AgentRef;
import dev.parley.routing.RoutingRules.Experiment;
import dev.parley.routing.RoutingRules.Variant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterTest {
  private final Map<String, AgentRef> agents = new HashMap<>(Map.of(
      "support-agent-v1", new AgentRef("support-agent-v1", 3, true),
      "sales-agent-v1", new AgentRef("sales-agent-v1", 2, true),
      "sales-agent-v2", new AgentRef("sales-agent-v2", 1, true),
      "onboarding-agent-v1", new AgentRef("onboarding-agent-v1", 1, true),
      "pte-interview-agent-v1", new AgentRef("pte-interview-agent-v1", 5, true)));
  private RoutingRules rules = RoutingRules.defaults().withVersion(7);

  private RouteDecision route(String roomMetadata, String participantMetadata) {
    return Router.decide(SessionMetadata.parse(roomMetadata, participantMetadata, Map.of()), rules,
        AgentDirectory.of(agents), java.time.Instant.parse("2026-12-02T10:00:00Z"));
  }

  @Test
  void explicitAgentIdWinsOverEveryOtherRule() {
    RouteDecision decision = route("{\"purpose\":\"sales\"}",
        "{\"agent_id\":\"pte-interview-agent-v1\",\"user_details\":{\"is_new_user\":true}}");

    assertThat(decision.agentId()).isEqualTo("pte-interview-agent-v1");
    assertThat(decision.configVersion()).isEqualTo(5);
    assertThat(decision.strategy()).isEqualTo(RoutingStrategy.EXPLICIT_AGENT);
    assertThat(decision.rulesVersion()).isEqualTo(7);
  }

  @Test
  void purposeMapsToItsAgentAndBeatsUserAttributes() {
    RouteDecision decision = route("{\"purpose\":\"Sales\",\"user_details\":{\"is_new_user\":true}}", null);

    assertThat(decision.agentId()).isEqualTo("sales-agent-v1");
    assertThat(decision.strategy()).isEqualTo(RoutingStrategy.PURPOSE);
    assertThat(decision.ruleId()).isEqualTo("purpose:sales");
    assertThat(decision.reason()).isEqualTo("purpose 'sales' maps to sales-agent-v1");
  }

  @Test
  void newUsersGoToOnboardingAndPremiumToSupport() {
    RouteDecision newUser = route(null, "{\"user_id\":\"u1\",\"user_details\":{\"is_new_user\":true}}");
    RouteDecision premium = route(null, "{\"user_id\":\"u2\",\"user_details\":{\"tier\":\"premium\"}}");

    assertThat(newUser.agentId()).isEqualTo("onboarding-agent-v1");
    assertThat(newUser.strategy()).isEqualTo(RoutingStrategy.USER_ATTRIBUTE);
    assertThat(newUser.ruleId()).isEqualTo("new-users-to-onboarding");
    assertThat(premium.agentId()).isEqualTo("support-agent-v1");
    assertThat(premium.ruleId()).isEqualTo("premium-to-support");
  }

  @Test
  void participantAttributesCountAsUserAttributes() {
    RouteDecision decision = Router.decide(SessionMetadata.parse(null, null, Map.of("tier", "premium")), rules,
        AgentDirectory.of(agents), java.time.Instant.parse("2026-12-02T10:00:00Z"));

    assertThat(decision.strategy()).isEqualTo(RoutingStrategy.USER_ATTRIBUTE);
  }

  @Test
  void anExperimentSplitsByAStableHashOfTheUserId() {
    rules = new RoutingRules(8, "support-agent-v1", Map.of(), List.of(), List.of(new Experiment("sales-ab", null,
        true, List.of(new Variant("A", "sales-agent-v1", 50), new Variant("B", "sales-agent-v2", 50)))));

    Map<String, Integer> perAgent = new HashMap<>();
    for (int i = 0; i < 2000; i++) {
      String meta = "{\"user_id\":\"user-" + i + "\"}";
      RouteDecision first = route(meta, null);
      assertThat(route(meta, null)).as("same user, same variant").isEqualTo(first);
      assertThat(first.strategy()).isEqualTo(RoutingStrategy.EXPERIMENT);
      assertThat(first.experimentId()).isEqualTo("sales-ab");
      perAgent.merge(first.agentId(), 1, Integer::sum);
    }
    assertThat(perAgent.get("sales-agent-v1")).isBetween(900, 1100);
    assertThat(perAgent.get("sales-agent-v2")).isBetween(900, 1100);
  }

  @Test
  void aPurposeExperimentReplacesThatPurposesMappingAndWeightsAreHonoured() {
    rules = new RoutingRules(9, "support-agent-v1", Map.of("sales", "sales-agent-v1"), List.of(),
        List.of(new Experiment("sales-v2-10pct", "sales", true,
            List.of(new Variant("control", "sales-agent-v1", 90), new Variant("v2", "sales-agent-v2", 10)))));

    long v2 = java.util.stream.IntStream.range(0, 5000)
        .mapToObj(i -> route("{\"purpose\":\"sales\",\"user_id\":\"u" + i + "\"}", null))
        .filter(d -> d.agentId().equals("sales-agent-v2")).count();

    assertThat(v2).isBetween(400L, 600L);
  }

  @Test
  void anExperimentWithoutUserIdIsSkippedWithTheReasonRecorded() {
    rules = new RoutingRules(9, "support-agent-v1", Map.of("sales", "sales-agent-v1"), List.of(),
        List.of(new Experiment("x", "sales", true, List.of(new Variant("v2", "sales-agent-v2", 1)))));

    RouteDecision decision = route("{\"purpose\":\"sales\"}", null);

    assertThat(decision.strategy()).isEqualTo(RoutingStrategy.PURPOSE);
    assertThat(decision.reason()).contains("experiment x skipped: no user_id");
  }

  @Test
  void nothingMatchingGoesToTheDefaultAgent() {
    RouteDecision decision = route("{\"purpose\":\"astrology\"}", null);

    assertThat(decision.agentId()).isEqualTo("support-agent-v1");
    assertThat(decision.configVersion()).isEqualTo(3);
    assertThat(decision.strategy()).isEqualTo(RoutingStrategy.DEFAULT);
    assertThat(decision.reason()).contains("purpose 'astrology' has no agent").contains("default agent");
  }

  @Test
  void anUnknownExplicitAgentFallsThroughAndSaysSo() {
    RouteDecision decision = route("{\"agent_id\":\"no-such-agent\"}", null);

    assertThat(decision.strategy()).isEqualTo(RoutingStrategy.DEFAULT);
    assertThat(decision.reason()).contains("agent_id 'no-such-agent', which is unknown");
  }

  @Test
  void anArchivedAgentGetsNoNewSessions() {
    agents.put("sales-agent-v1", new AgentRef("sales-agent-v1", 2, false));

    RouteDecision decision = route("{\"purpose\":\"sales\"}", null);

    assertThat(decision.agentId()).isEqualTo("support-agent-v1");
    assertThat(decision.reason()).contains("'sales-agent-v1', which is archived");
  }

  @Test
  void metadataThatIsNotJsonRoutesToTheDefaultWithTheReason() {
    RouteDecision decision = route("purpose=sales", "<xml/>");

    assertThat(decision.strategy()).isEqualTo(RoutingStrategy.DEFAULT);
    assertThat(decision.reason()).contains("room metadata is not JSON").contains("participant metadata is not JSON");
  }

  @Test
  void absurdlyLargeMetadataIsIgnored() {
    String huge = "{\"purpose\":\"sales\",\"pad\":\"" + "x".repeat(SessionMetadata.MAX_METADATA_BYTES) + "\"}";

    RouteDecision decision = route(huge, null);

    assertThat(decision.strategy()).isEqualTo(RoutingStrategy.DEFAULT);
    assertThat(decision.reason()).contains("over the 16384-byte limit");
  }

  @Test
  void wrongTypesInMetadataAreIgnoredFieldByField() {
    RouteDecision decision = route("{\"agent_id\":42,\"purpose\":\"sales\",\"user_details\":\"premium\"}", null);

    assertThat(decision.agentId()).isEqualTo("sales-agent-v1");
    assertThat(decision.reason()).contains("agent_id is not a non-empty string").contains("user_details is not an object");
  }

  @Test
  void aJsonArrayOrNullIsNotMetadata() {
    assertThat(route("[1,2]", "null").reason()).contains("room metadata is not a JSON object")
        .contains("participant metadata is not a JSON object");
  }

  @Test
  void aDefaultAgentWithoutConfigStillRoutesAtVersionZero() {
    agents.clear();

    RouteDecision decision = route(null, null);

    assertThat(decision.agentId()).isEqualTo("support-agent-v1");
    assertThat(decision.configVersion()).isZero();
    assertThat(decision.reason()).contains("has no config yet");
  }
}
