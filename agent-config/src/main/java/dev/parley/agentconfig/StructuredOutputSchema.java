package dev.parley.agentconfig;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig.SchemaConfig;
import dev.parley.agentconfig.AgentConfig.SchemaField;
import java.util.List;

/**
 * The JSON Schema an agent's reply must match, built from its {@code schema_config}, in the form
 * OpenAI's strict structured outputs accept: every property listed in {@code required} (an
 * optional field may be null instead), {@code additionalProperties: false}, and
 * {@code system_response} first so the spoken text streams before the structured fields.
 */
public final class StructuredOutputSchema {
  private StructuredOutputSchema() {}

  /**
   * The reply schema of an agent: its {@code schema_config}'s, and, when it lists the built-in {@code end_call}, a
   * required boolean {@value AgentConfigValidator#END_CALL_FIELD} the model sets when its answer ends the call.
   */
  public static ObjectNode of(AgentConfig config) {
    ObjectNode schema = build(config.schemaConfig());
    if (config.endsCalls()) {
      String description = config.tool(AgentConfigValidator.END_CALL).map(AgentConfig.ToolConfig::description)
          .filter(d -> !d.isBlank()).orElse(END_CALL_DESCRIPTION);
      ((ObjectNode) schema.get("properties")).putObject(AgentConfigValidator.END_CALL_FIELD).put("type", "boolean")
          .put("description", description);
      ((ArrayNode) schema.get("required")).add(AgentConfigValidator.END_CALL_FIELD);
    }
    List<String> targets = config.handoffTargets();
    if (!targets.isEmpty()) {
      String description = config.tool(AgentConfigValidator.HANDOFF).map(AgentConfig.ToolConfig::description)
          .filter(d -> d != null && !d.isBlank()).orElse(handoffDescription(targets));
      ObjectNode property = ((ObjectNode) schema.get("properties")).putObject(AgentConfigValidator.HANDOFF_FIELD)
          .put("type", "string").put("description", description);
      ArrayNode values = property.putArray("enum").add(AgentConfigValidator.NO_HANDOFF);
      targets.forEach(values::add);
      ((ArrayNode) schema.get("required")).add(AgentConfigValidator.HANDOFF_FIELD);
    }
    for (String escalation : config.escalationFields()) { // the built-in escalate's, when the schema has none
      if (!schema.get("properties").has(escalation)) {
        ((ObjectNode) schema.get("properties")).putObject(escalation).put("type", "boolean")
            .put("description", ESCALATE_DESCRIPTION);
        ((ArrayNode) schema.get("required")).add(escalation);
      }
    }
    return schema;
  }

  /** What {@code handoff_to} means to the model unless the agent's {@code handoff} tool describes it otherwise. */
  static String handoffDescription(List<String> targets) {
    return "The agent to pass the caller to, only when they ask for it or need what it does: "
        + String.join(", ", targets) + ". Otherwise " + AgentConfigValidator.NO_HANDOFF + ".";
  }

  /** What the built-in {@code escalate}'s field means to the model. */
  public static final String ESCALATE_DESCRIPTION = "True only when the caller asks for a person or their problem"
      + " needs a human to act. Otherwise false.";

  /** What {@code end_call} means to the model unless the agent's {@code end_call} tool describes it otherwise. */
  public static final String END_CALL_DESCRIPTION = "True only when the caller has said goodbye or that they need"
      + " nothing more, and your reply says goodbye: the call then ends after it. Otherwise false.";

  public static ObjectNode build(SchemaConfig config) {
    ObjectNode schema = AgentConfigJson.MAPPER.createObjectNode();
    schema.put("type", "object");
    ObjectNode properties = schema.putObject("properties");
    ArrayNode required = schema.putArray("required");
    properties.putObject(AgentConfigValidator.SPOKEN_FIELD).put("type", "string")
        .put("description", "What the agent says to the caller, in plain spoken sentences.");
    required.add(AgentConfigValidator.SPOKEN_FIELD);
    List<SchemaField> fields = config.fields() == null ? List.of() : config.fields();
    for (SchemaField field : fields) {
      ObjectNode property = property(field);
      if (!field.isRequired()) {
        property = nullable(property);
      }
      properties.set(field.name(), property);
      required.add(field.name());
    }
    schema.put("additionalProperties", false);
    return schema;
  }

  private static ObjectNode property(SchemaField field) {
    ObjectNode node = AgentConfigJson.MAPPER.createObjectNode();
    switch (field.type()) {
      case "enum" -> {
        node.put("type", "string");
        ArrayNode values = node.putArray("enum");
        field.enumValues().forEach(values::add);
      }
      case "array" -> {
        node.put("type", "array");
        node.set("items", property(field.items()));
      }
      default -> node.put("type", field.type());
    }
    if (field.min() != null) {
      putNumber(node, "minimum", field.min(), field.type());
    }
    if (field.max() != null) {
      putNumber(node, "maximum", field.max(), field.type());
    }
    if (field.description() != null) {
      node.put("description", field.description());
    }
    return node;
  }

  private static void putNumber(ObjectNode node, String key, double value, String type) {
    if (type.equals("integer")) {
      node.put(key, (long) value);
    } else {
      node.put(key, value);
    }
  }

  /** {"anyOf": [property, {"type": "null"}]}, keeping the description on the outside. */
  private static ObjectNode nullable(ObjectNode property) {
    ObjectNode node = AgentConfigJson.MAPPER.createObjectNode();
    if (property.has("description")) {
      node.set("description", property.remove("description"));
    }
    ArrayNode anyOf = node.putArray("anyOf");
    anyOf.add(property);
    anyOf.addObject().put("type", "null");
    return node;
  }
}
