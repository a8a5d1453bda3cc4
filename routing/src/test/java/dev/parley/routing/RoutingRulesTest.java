package dev.parley.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.routing.RoutingRules.AttributeRule;
import dev.parley.routing.RoutingRules.Experiment;
import dev.parley.routing.RoutingRules.Variant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingRulesTest {

  @Test
  void theSeedRulesAreValidAndRoundTripThroughJson() {
    RoutingRules rules = RoutingRules.defaults().withVersion(3);

    assertThat(rules.validate()).isEmpty();
    assertThat(RoutingRules.fromJson(rules.toJson())).isEqualTo(rules);
    assertThat(rules.toJson()).contains("\"default_agent\":\"support-agent-v1\"").contains("\"attribute_rules\"");
  }

  @Test
  void everyBrokenRuleIsNamedByItsField() {
    RoutingRules rules = new RoutingRules(1, "Not An Id", Map.of("sales", ""),
        List.of(new AttributeRule("r1", null, "true", "support-agent-v1"),
            new AttributeRule("r1", "tier", "gold", "support-agent-v1")),
        List.of(new Experiment("e1", null, true, List.of(new Variant("A", "sales-agent-v1", 0))),
            new Experiment("e2", null, true, List.of())));

    assertThat(rules.validate()).containsExactlyInAnyOrder(
        "default_agent: 'Not An Id' is not a valid agent id ([a-z0-9][a-z0-9_-]{0,62})",
        "purposes.sales: is required",
        "attribute_rules[0].attribute: is required",
        "attribute_rules[1].id: 'r1' is used twice",
        "experiments[0].variants: weights must add up to more than 0",
        "experiments[1].variants: at least one variant is required");
  }

  @Test
  void malformedJsonAndUnknownFieldsAreRefusedWithTheParserMessage() {
    assertThatThrownBy(() -> RoutingRules.fromJson("{\"default_agent\": "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid JSON");
    assertThat(RoutingRules.fromJson("{\"default_agent\":\"a\"}").version()).isZero();
    assertThatThrownBy(() -> RoutingRules.fromJson("{\"default_agent\":\"a\",\"purpose_map\":{}}"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("purpose_map");
    assertThatThrownBy(() -> RoutingRules.fromJson("null"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected a JSON object");
  }
}
