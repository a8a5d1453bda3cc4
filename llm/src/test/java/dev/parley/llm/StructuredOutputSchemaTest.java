package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.agentconfig.StructuredOutputSchema;
import org.junit.jupiter.api.Test;

class StructuredOutputSchemaTest {

  @Test
  void theSchemaIsStrictWithTheSpokenReplyFirst() {
    ObjectNode schema = StructuredOutputSchema.build(SeedAgents.all().get(1).schemaConfig());

    assertThat(schema.get("additionalProperties").asBoolean()).isFalse();
    assertThat(schema.get("properties").fieldNames().next()).isEqualTo("system_response");
    assertThat(schema.get("required")).extracting(n -> n.asText()).containsExactly("system_response",
        "sales_stage", "customer_intent", "pain_points", "qualification_score", "objections_raised", "next_step");
    assertThat(schema.at("/properties/sales_stage/enum").toString()).contains("discovery", "needs_analysis",
        "presentation", "objection_handling", "closing");
    assertThat(schema.at("/properties/qualification_score/minimum").asLong()).isZero();
    assertThat(schema.at("/properties/qualification_score/maximum").asLong()).isEqualTo(100);
    assertThat(schema.at("/properties/pain_points/items/type").asText()).isEqualTo("string");
    assertThat(schema.at("/properties/next_step/anyOf/0/type").asText()).as("optional = nullable").isEqualTo("string");
    assertThat(schema.at("/properties/next_step/anyOf/1/type").asText()).isEqualTo("null");
  }

  @Test
  void theValidatorAcceptsAMatchingReplyAndNamesWhatIsWrongOtherwise() {
    ReplyValidator validator = new ReplyValidator(StructuredOutputSchema.build(SeedAgents.all().get(1).schemaConfig()));
    String good = "{\"system_response\":\"Hi.\",\"sales_stage\":\"discovery\",\"customer_intent\":\"medium\","
        + "\"pain_points\":[\"slow reports\"],\"qualification_score\":40,\"objections_raised\":[],\"next_step\":null}";

    assertThat(validator.check(good).valid()).isTrue();
    assertThat(validator.check(good.replace("\"discovery\"", "\"haggling\"")).problems())
        .anyMatch(p -> p.contains("sales_stage"));
    assertThat(validator.check(good.replace("40", "140")).problems()).anyMatch(p -> p.contains("qualification_score"));
    assertThat(validator.check(good.replace("}", ",\"extra\":1}")).problems()).anyMatch(p -> p.contains("extra"));
    assertThat(validator.check("{not json").problems()).anyMatch(p -> p.startsWith("not valid JSON"));
  }
}
