package dev.parley.agentconfig;

import com.fasterxml.jackson.annotation.JsonProperty;

/** One broken rule: which field (a JSON path such as {@code schema_config.fields[2].max}) and what is wrong. */
public record FieldError(@JsonProperty("field") String field, @JsonProperty("rule") String rule) {
  @Override
  public String toString() {
    return field + ": " + rule;
  }
}
