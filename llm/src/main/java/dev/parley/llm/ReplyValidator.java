package dev.parley.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.parley.agentconfig.AgentConfigJson;
import java.util.List;
import java.util.Set;

/** Checks a raw reply against the agent's JSON Schema (networknt json-schema-validator). */
public final class ReplyValidator {
  private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
  private final JsonSchema schema;

  public ReplyValidator(ObjectNode schema) {
    this.schema = FACTORY.getSchema(schema);
  }

  /** The parsed reply, or the problems that make it unusable. */
  public record Result(ObjectNode reply, List<String> problems) {
    public boolean valid() {
      return problems.isEmpty();
    }
  }

  public Result check(String raw) {
    JsonNode node;
    try {
      node = AgentConfigJson.MAPPER.readTree(raw);
    } catch (JsonProcessingException e) {
      return new Result(null, List.of("not valid JSON: " + e.getOriginalMessage()));
    }
    if (node == null || !node.isObject()) {
      return new Result(null, List.of("not a JSON object"));
    }
    Set<ValidationMessage> messages = schema.validate(node);
    return new Result((ObjectNode) node, messages.stream().map(ValidationMessage::getMessage).sorted().toList());
  }
}
