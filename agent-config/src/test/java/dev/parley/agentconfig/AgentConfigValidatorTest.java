package dev.parley.agentconfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AgentConfigValidatorTest {

  @Test
  void theSeedAgentsAreValid() {
    assertThat(SeedAgents.all()).hasSize(4)
        .allSatisfy(config -> assertThat(AgentConfigValidator.validate(config)).isEmpty());
  }

  /** Each row: a JSON merge patch applied to the support seed, the field and the rule the error names. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{\"agent_id\":null}                                         | agent_id                          | is required",
      "{\"agent_id\":\"Support Agent\"}                            | agent_id                          | must match",
      "{\"agent_id\":\"../../etc\"}                                | agent_id                          | must match",
      "{\"tenant_id\":\"acme corp\"}                               | tenant_id                         | letters, digits",
      "{\"name\":\"\"}                                             | name                              | is required",
      "{\"prompt_config\":{\"instructions\":null}}                 | prompt_config.instructions        | is required",
      "{\"schema_config\":null}                                    | schema_config                     | is required",
      "{\"schema_config\":{\"schema_id\":\"Bad-Id\"}}              | schema_config.schema_id           | lowercase",
      "{\"llm_config\":{\"temperature\":3}}                        | llm_config.temperature            | between 0.0 and 2.0",
      "{\"llm_config\":{\"max_tokens\":5}}                         | llm_config.max_tokens             | between 16 and 8192",
      "{\"llm_config\":{\"provider\":\"skynet\"}}                  | llm_config.provider               | must be one of",
      "{\"llm_config\":{\"base_url\":\"file:///etc/passwd\"}}      | llm_config.base_url               | http(s) URL",
      "{\"voice_config\":{\"speed\":9}}                            | voice_config.speed                | between 0.5 and 2.0",
      "{\"voice_config\":{\"provider\":\"local\",\"voice\":\"alloy\"}}  | voice_config.voice                | joe, slt, rms, awb",
      "{\"voice_config\":{\"voice\":\"kevin16\"}}                   | voice_config.voice                | kevin16 was retired",
      "{\"stt_config\":{\"endpointing_ms\":1}}                     | stt_config.endpointing_ms         | between 100 and 5000",
      "{\"status\":\"deleted\"}                                    | status                            | 'active' or 'archived'"})
  void everyBrokenRuleNamesItsField(String patch, String field, String rule) throws Exception {
    List<FieldError> errors = AgentConfigValidator.validate(patched(patch));

    assertThat(errors).anySatisfy(e -> {
      assertThat(e.field()).isEqualTo(field);
      assertThat(e.rule()).contains(rule);
    });
  }

  private static final String ORDER_TOOL = "{\"name\":\"order_status\",\"description\":\"Looks an order up\","
      + "\"parameters\":{\"type\":\"object\",\"properties\":{\"order_id\":{\"type\":\"string\"}},"
      + "\"required\":[\"order_id\"]},\"http\":{\"method\":\"GET\",\"url\":\"https://shop.example/orders/{order_id}\","
      + "\"headers\":{\"X-Api-Key\":\"${secret:SHOP_KEY}\"},\"timeout_ms\":2000,\"retries\":2},"
      + "\"waiting_line\":\"Let me look that up.\"}";

  @Test
  void aWellFormedToolIsValidAndReadBack() throws Exception {
    AgentConfig config = patched("{\"tools\":[" + ORDER_TOOL + "]}");
    assertThat(AgentConfigValidator.validate(config)).isEmpty();
    AgentConfig.ToolConfig tool = config.tool("order_status").orElseThrow();
    assertThat(tool.http().url()).isEqualTo("https://shop.example/orders/{order_id}");
    assertThat(tool.http().headers()).containsEntry("X-Api-Key", "${secret:SHOP_KEY}");
    assertThat(tool.waitingLine()).isEqualTo("Let me look that up.");
    assertThat(AgentConfigJson.read(AgentConfigJson.write(config)).tools()).isEqualTo(config.tools());
    assertThat(config.tool("nope")).isEmpty();
  }

  @Test
  void theBuiltInEndCallIsListedByNameAndAddsItsFieldToTheReplySchema() throws Exception {
    AgentConfig config = patched("{\"tools\":[" + ORDER_TOOL + ",{\"name\":\"end_call\"}]}");
    assertThat(AgentConfigValidator.validate(config)).isEmpty();
    assertThat(config.endsCalls()).isTrue();
    assertThat(config.httpTools()).extracting(AgentConfig.ToolConfig::name).containsExactly("order_status");
    var schema = StructuredOutputSchema.of(config);
    assertThat(schema.at("/properties/end_call/type").asText()).isEqualTo("boolean");
    assertThat(schema.get("required").toString()).contains("\"end_call\"");
    assertThat(StructuredOutputSchema.of(patched("{}")).has("end_call")).isFalse();
    assertThat(patched("{}").endsCalls()).isFalse();

    AgentConfig clash = patched("{\"tools\":[{\"name\":\"end_call\"}],\"schema_config\":{\"schema_id\":\"x\","
        + "\"fields\":[{\"name\":\"end_call\",\"type\":\"boolean\"}]}}");
    assertThat(AgentConfigValidator.validate(clash)).extracting(FieldError::field)
        .contains("schema_config.fields[0].name");
  }

  @Test
  void theBuiltInHandoffNamesItsAgentsAndAddsAnEnumFieldOfThemToTheReplySchema() throws Exception {
    AgentConfig config = patched("{\"tools\":[" + ORDER_TOOL + ",{\"name\":\"handoff\",\"agents\":[\"sales\","
        + "\"onboarding\"],\"waiting_line\":\"Passing you to {agent} now.\"}]}");
    assertThat(AgentConfigValidator.validate(config)).isEmpty();
    assertThat(config.handoffTargets()).containsExactly("sales", "onboarding");
    assertThat(config.httpTools()).extracting(AgentConfig.ToolConfig::name).containsExactly("order_status");
    var schema = StructuredOutputSchema.of(config);
    assertThat(schema.at("/properties/handoff_to/enum").toString()).isEqualTo("[\"none\",\"sales\",\"onboarding\"]");
    assertThat(schema.at("/properties/handoff_to/description").asText()).contains("sales, onboarding");
    assertThat(schema.get("required").toString()).contains("\"handoff_to\"");
    assertThat(StructuredOutputSchema.of(patched("{}")).at("/properties").has("handoff_to")).isFalse();
    // read back as it was written
    assertThat(AgentConfigJson.tree(config).toString()).contains("\"agents\":[\"sales\",\"onboarding\"]");
  }

  /** Each row: a handoff tool, the field and the rule the error names. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{\"name\":\"handoff\"}                                        | tools[0].agents    | is required",
      "{\"name\":\"handoff\",\"agents\":[]}                         | tools[0].agents    | is required",
      "{\"name\":\"handoff\",\"agents\":[\"Sales Team\"]}            | tools[0].agents[0] | must be an agent id",
      "{\"name\":\"handoff\",\"agents\":[\"sales\",\"sales\"]}      | tools[0].agents[1] | listed twice",
      "{\"name\":\"handoff\",\"agents\":[\"none\"]}                 | tools[0].agents[0] | means no hand-off",
      "{\"name\":\"handoff\",\"agents\":[\"sales\"],\"http\":{\"method\":\"GET\",\"url\":\"http://x\"}} | tools[0] | takes no http binding",
      "{\"name\":\"end_call\",\"agents\":[\"sales\"]}               | tools[0].agents    | only the built-in 'handoff'",
      "{\"name\":\"escalate\",\"waiting_line\":\"hold on\"}          | tools[0].waiting_line | only 'handoff'"})
  void everyBrokenBuiltInActionNamesItsField(String tool, String field, String rule) throws Exception {
    assertThat(AgentConfigValidator.validate(patched("{\"tools\":[" + tool + "]}"))).anySatisfy(e -> {
      assertThat(e.field()).isEqualTo(field);
      assertThat(e.rule()).contains(rule);
    });
  }

  @Test
  void anAgentCannotPassTheCallerToItselfNorKeepAFieldCalledHandoffTo() throws Exception {
    String self = SeedAgents.all().get(0).agentId();
    assertThat(AgentConfigValidator.validate(patched("{\"tools\":[{\"name\":\"handoff\",\"agents\":[\"" + self
        + "\"]}]}"))).anySatisfy(e -> assertThat(e.rule()).contains("cannot pass the caller to itself"));
    AgentConfig clash = patched("{\"tools\":[{\"name\":\"handoff\",\"agents\":[\"sales\"]}],\"schema_config\":"
        + "{\"schema_id\":\"x\",\"fields\":[{\"name\":\"handoff_to\",\"type\":\"string\"}]}}");
    assertThat(AgentConfigValidator.validate(clash)).extracting(FieldError::field)
        .contains("schema_config.fields[0].name");
  }

  @Test
  void theBuiltInEscalateGivesAnAgentWithoutAnEscalationFieldEscalationNeeded() throws Exception {
    AgentConfig plain = patched("{\"tools\":[{\"name\":\"escalate\"}],\"schema_config\":{\"schema_id\":\"x\","
        + "\"fields\":[{\"name\":\"topic\",\"type\":\"string\"}]}}");
    assertThat(AgentConfigValidator.validate(plain)).isEmpty();
    assertThat(plain.escalationFields()).containsExactly("escalation_needed");
    assertThat(StructuredOutputSchema.of(plain).at("/properties/escalation_needed/type").asText()).isEqualTo("boolean");
    // one that declares its own keeps it, and gets no second one
    AgentConfig own = patched("{\"tools\":[{\"name\":\"escalate\"}],\"schema_config\":{\"schema_id\":\"x\","
        + "\"fields\":[{\"name\":\"needs_human\",\"type\":\"boolean\",\"escalation\":true}]}}");
    assertThat(own.escalationFields()).containsExactly("needs_human");
    assertThat(StructuredOutputSchema.of(own).at("/properties").has("escalation_needed")).isFalse();
    // without the action, a schema without escalation fields escalates nothing
    assertThat(patched("{\"schema_config\":{\"schema_id\":\"x\",\"fields\":[{\"name\":\"topic\","
        + "\"type\":\"string\"}]}}").escalationFields()).isEmpty();
  }

  /** Each row: one tool (a patch of the order tool), the field and the rule the error names. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{\"name\":\"Order Status\"}                                  | tools[0].name                  | lowercase letters",
      "{\"name\":\"handoff\"}                                       | tools[0]                       | built-in action that passes the caller to another agent: it takes no http",
      "{\"agents\":[\"sales\"]}                                      | tools[0].agents                | only the built-in 'handoff' takes agents",
      "{\"name\":\"end_call\"}                                      | tools[0]                       | takes no http binding and no parameters",
      "{\"description\":null}                                        | tools[0].description           | is required",
      "{\"parameters\":{\"type\":\"string\"}}                       | tools[0].parameters            | JSON Schema object",
      "{\"parameters\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"uuid\"}}}} | tools[0].parameters.properties.id.type | must be one of",
      "{\"parameters\":{\"type\":\"object\",\"required\":[\"x\"]}} | tools[0].parameters.required   | 'x' is not one of the properties",
      "{\"http\":null}                                               | tools[0].http                  | is required",
      "{\"http\":{\"method\":\"FETCH\"}}                            | tools[0].http.method           | must be one of",
      "{\"http\":{\"url\":\"ftp://shop.example/x\"}}                 | tools[0].http.url              | http(s) URL",
      "{\"http\":{\"url\":\"https://shop.example/{order}\"}}         | tools[0].http.url              | {order} names no argument",
      "{\"http\":{\"headers\":{\"X-Api-Key\":\"${secret:shop key}\"}}} | tools[0].http.headers.X-Api-Key | PARLEY_SECRET_",
      "{\"http\":{\"headers\":{\"Bad Header\":\"x\"}}}              | tools[0].http.headers          | is not a header name",
      "{\"http\":{\"timeout_ms\":60000}}                             | tools[0].http.timeout_ms       | between 100 and 30000",
      "{\"http\":{\"retries\":9}}                                    | tools[0].http.retries          | between 0 and 5"})
  void everyBrokenToolRuleNamesItsField(String toolPatch, String field, String rule) throws Exception {
    JsonNode tool = AgentConfigJson.mergePatch(AgentConfigJson.MAPPER.readTree(ORDER_TOOL),
        AgentConfigJson.MAPPER.readTree(toolPatch));
    List<FieldError> errors = AgentConfigValidator.validate(patched("{\"tools\":[" + tool + "]}"));

    assertThat(errors).anySatisfy(e -> {
      assertThat(e.field()).isEqualTo(field);
      assertThat(e.rule()).contains(rule);
    });
  }

  @Test
  void twoToolsWithOneNameAreRefused() throws Exception {
    assertThat(AgentConfigValidator.validate(patched("{\"tools\":[" + ORDER_TOOL + "," + ORDER_TOOL + "]}")))
        .anySatisfy(e -> assertThat(e.rule()).contains("'order_status' is used twice"));
  }

  @Test
  void schemaFieldRulesAreChecked() throws Exception {
    String fields = "{\"schema_config\":{\"fields\":["
        + "{\"name\":\"system_response\",\"type\":\"string\"},"
        + "{\"name\":\"score\",\"type\":\"integer\",\"min\":10,\"max\":1},"
        + "{\"name\":\"score\",\"type\":\"float\"},"
        + "{\"name\":\"mood\",\"type\":\"enum\"},"
        + "{\"name\":\"tags\",\"type\":\"array\"},"
        + "{\"name\":\"flag\",\"type\":\"boolean\",\"min\":0},"
        + "{\"name\":\"ratio\",\"type\":\"integer\",\"min\":0.5},"
        + "{\"name\":\"handover\",\"type\":\"string\",\"escalation\":true}]}}";

    assertThat(AgentConfigValidator.validate(patched(fields))).extracting(FieldError::toString).containsExactlyInAnyOrder(
        "schema_config.fields[0].name: 'system_response' is reserved for the spoken reply",
        "schema_config.fields[1].max: must be at least min (10.0)",
        "schema_config.fields[2].name: 'score' is used twice",
        "schema_config.fields[2].type: must be one of [string, integer, number, boolean, enum, array]",
        "schema_config.fields[3].enum_values: an enum needs at least one value",
        "schema_config.fields[4].items: an array needs items: {type, ...}",
        "schema_config.fields[5].min: min/max apply only to integer and number fields",
        "schema_config.fields[6].min: an integer field needs whole-number bounds",
        "schema_config.fields[7].escalation: only a boolean field can be an escalation (true hands the session to"
            + " a human)");
  }

  @Test
  void escalationFieldsAreDeclaredOrNamedEscalationNeeded() throws Exception {
    AgentConfig config = patched("{\"schema_config\":{\"fields\":["
        + "{\"name\":\"escalation_needed\",\"type\":\"boolean\"},"
        + "{\"name\":\"needs_manager\",\"type\":\"boolean\",\"escalation\":true},"
        + "{\"name\":\"resolved\",\"type\":\"boolean\"}]}}");
    assertThat(AgentConfigValidator.validate(config)).isEmpty();
    assertThat(config.schemaConfig().fields()).filteredOn(AgentConfig.SchemaField::isEscalation)
        .extracting(AgentConfig.SchemaField::name).containsExactly("escalation_needed", "needs_manager");
    AgentConfig optedOut = patched("{\"schema_config\":{\"fields\":["
        + "{\"name\":\"escalation_needed\",\"type\":\"boolean\",\"escalation\":false}]}}");
    assertThat(optedOut.schemaConfig().fields().get(0).isEscalation()).isFalse();
  }

  @Test
  void malformedJsonAndUnknownOrMistypedFieldsNameTheField() {
    assertThatThrownBy(() -> AgentConfigJson.read("{\"agent_id\": "))
        .isInstanceOfSatisfying(InvalidConfigException.class,
            e -> assertThat(e.errors().get(0).rule()).startsWith("not valid JSON"));
    assertThatThrownBy(() -> AgentConfigJson.read("{\"agent_id\":\"a\",\"prompt\":\"hi\"}"))
        .isInstanceOfSatisfying(InvalidConfigException.class,
            e -> assertThat(e.errors()).containsExactly(new FieldError("prompt", "unknown field")));
    assertThatThrownBy(() -> AgentConfigJson.read("{\"llm_config\":{\"max_tokens\":\"lots\"}}"))
        .isInstanceOfSatisfying(InvalidConfigException.class,
            e -> assertThat(e.errors().get(0).field()).isEqualTo("llm_config.max_tokens"));
  }

  @Test
  void mergePatchMergesObjectsReplacesValuesAndRemovesNulls() throws Exception {
    JsonNode target = AgentConfigJson.MAPPER.readTree("{\"a\":1,\"b\":{\"c\":2,\"d\":3},\"e\":[1,2]}");
    JsonNode patch = AgentConfigJson.MAPPER.readTree("{\"a\":null,\"b\":{\"c\":5},\"e\":[9],\"f\":\"new\"}");

    assertThat(AgentConfigJson.mergePatch(target, patch).toString())
        .isEqualTo("{\"b\":{\"c\":5,\"d\":3},\"e\":[9],\"f\":\"new\"}");
  }

  @Test
  void defaultsFillTheOptionalSections() {
    AgentConfig bare = new AgentConfig("a", "t", "n", null, new AgentConfig.PromptConfig("i", null),
        new AgentConfig.SchemaConfig("s", List.of()), null, null, null, null, null, null, null, null).withDefaults();

    assertThat(bare.llmConfig().provider()).isEqualTo("local");
    assertThat(bare.voiceConfig().speed()).isEqualTo(1.0);
    assertThat(bare.voiceConfig().voice()).as("the default offline voice").isEqualTo("slt");
    AgentConfig cloud = new AgentConfig("a", "t", "n", null, new AgentConfig.PromptConfig("i", null),
        new AgentConfig.SchemaConfig("s", List.of()), null, new AgentConfig.VoiceConfig("openai", null, null), null,
        null, null, null, null, null).withDefaults();
    assertThat(cloud.voiceConfig().voice()).as("a cloud voice's own default").isEmpty();
    assertThat(bare.sttConfig().endpointingMs()).isEqualTo(600);
    assertThat(AgentConfigValidator.validate(bare)).isEmpty();
  }

  private static AgentConfig patched(String patch) throws Exception {
    JsonNode seed = AgentConfigJson.tree(SeedAgents.all().get(0));
    return AgentConfigJson.fromTree(AgentConfigJson.mergePatch(seed, AgentConfigJson.MAPPER.readTree(patch)));
  }
}
