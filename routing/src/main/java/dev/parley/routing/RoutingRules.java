package dev.parley.routing;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parley.schemas.TopicNames;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Routing rules as data, in priority order after an explicit {@code agent_id}: purpose map, user
 * attribute rules, weighted experiments, default agent. Edited through config-service and read by
 * router-stream from the compacted rules topic.
 *
 * @param version        set by config-service on every change
 * @param defaultAgent   where a session goes when nothing else matches
 * @param purposes       purpose (lower case) → agent id
 * @param attributeRules first match wins
 * @param experiments    weighted splits by a stable hash of user_id; with a purpose they replace
 *                       that purpose's mapping, without one they apply to sessions nothing else matched
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = false)
public record RoutingRules(
    @JsonProperty("version") int version,
    @JsonProperty("default_agent") String defaultAgent,
    @JsonProperty("purposes") Map<String, String> purposes,
    @JsonProperty("attribute_rules") List<AttributeRule> attributeRules,
    @JsonProperty("experiments") List<Experiment> experiments) {

  static final int MAX_RULES = 200;
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  public RoutingRules {
    purposes = purposes == null ? Map.of() : Map.copyOf(lowerKeys(purposes));
    attributeRules = attributeRules == null ? List.of() : List.copyOf(attributeRules);
    experiments = experiments == null ? List.of() : List.copyOf(experiments);
  }

  /** Matches a user detail (or participant attribute) value, compared as text. */
  public record AttributeRule(@JsonProperty("id") String id, @JsonProperty("attribute") String attribute,
      @JsonProperty("equals") String equals, @JsonProperty("agent_id") String agentId) {}

  /** One arm of an experiment. */
  public record Variant(@JsonProperty("name") String name, @JsonProperty("agent_id") String agentId,
      @JsonProperty("weight") int weight) {}

  /** A weighted A/B split. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Experiment(@JsonProperty("id") String id, @JsonProperty("purpose") String purpose,
      @JsonProperty("enabled") Boolean enabled, @JsonProperty("variants") List<Variant> variants) {
    public Experiment {
      variants = variants == null ? List.of() : List.copyOf(variants);
      purpose = purpose == null ? null : purpose.toLowerCase(Locale.ROOT);
    }

    public boolean isEnabled() {
      return enabled == null || enabled;
    }
  }

  /** The seeds' rules: one agent per purpose, new users to onboarding, premium to support. */
  public static RoutingRules defaults() {
    Map<String, String> purposes = new LinkedHashMap<>();
    purposes.put("support", "support-agent-v1");
    purposes.put("sales", "sales-agent-v1");
    purposes.put("onboarding", "onboarding-agent-v1");
    purposes.put("interview", "pte-interview-agent-v1");
    return new RoutingRules(0, "support-agent-v1", purposes, List.of(
        new AttributeRule("new-users-to-onboarding", "is_new_user", "true", "onboarding-agent-v1"),
        new AttributeRule("premium-to-support", "tier", "premium", "support-agent-v1")), List.of());
  }

  /** The enabled experiment that replaces {@code purpose}'s mapping, if any. */
  public Optional<Experiment> experimentFor(String purpose) {
    return experiments.stream().filter(e -> e.isEnabled() && purpose.equals(e.purpose())).findFirst();
  }

  public RoutingRules withVersion(int newVersion) {
    return new RoutingRules(newVersion, defaultAgent, purposes, attributeRules, experiments);
  }

  /** Every rule broken, one message each naming the field; empty when the rules are usable. */
  public List<String> validate() {
    List<String> errors = new ArrayList<>();
    agent(errors, "default_agent", defaultAgent);
    if (purposes.size() + attributeRules.size() + experiments.size() > MAX_RULES) {
      errors.add("rules: at most " + MAX_RULES + " purposes, attribute rules and experiments in all");
    }
    purposes.forEach((purpose, agent) -> {
      if (purpose.isBlank() || purpose.length() > SessionMetadata.MAX_VALUE_CHARS) {
        errors.add("purposes: purpose names must be 1-" + SessionMetadata.MAX_VALUE_CHARS + " characters");
      }
      agent(errors, "purposes." + purpose, agent);
    });
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < attributeRules.size(); i++) {
      AttributeRule rule = attributeRules.get(i);
      String at = "attribute_rules[" + i + "]";
      required(errors, at + ".id", rule.id());
      required(errors, at + ".attribute", rule.attribute());
      required(errors, at + ".equals", rule.equals());
      agent(errors, at + ".agent_id", rule.agentId());
      if (rule.id() != null && !ids.add(rule.id())) {
        errors.add(at + ".id: '" + rule.id() + "' is used twice");
      }
    }
    for (int i = 0; i < experiments.size(); i++) {
      validateExperiment(errors, "experiments[" + i + "]", experiments.get(i), ids);
    }
    return errors;
  }

  private static void validateExperiment(List<String> errors, String at, Experiment experiment, Set<String> ids) {
    required(errors, at + ".id", experiment.id());
    if (experiment.id() != null && !ids.add(experiment.id())) {
      errors.add(at + ".id: '" + experiment.id() + "' is used twice");
    }
    if (experiment.variants().isEmpty()) {
      errors.add(at + ".variants: at least one variant is required");
    }
    long total = 0;
    for (int v = 0; v < experiment.variants().size(); v++) {
      Variant variant = experiment.variants().get(v);
      String vat = at + ".variants[" + v + "]";
      required(errors, vat + ".name", variant.name());
      agent(errors, vat + ".agent_id", variant.agentId());
      if (variant.weight() < 0 || variant.weight() > 1_000_000) {
        errors.add(vat + ".weight: must be between 0 and 1000000");
      }
      total += Math.max(0, variant.weight());
    }
    if (!experiment.variants().isEmpty() && total == 0) {
      errors.add(at + ".variants: weights must add up to more than 0");
    }
  }

  private static void required(List<String> errors, String field, String value) {
    if (value == null || value.isBlank()) {
      errors.add(field + ": is required");
    }
  }

  private static void agent(List<String> errors, String field, String agentId) {
    if (agentId == null || agentId.isBlank()) {
      errors.add(field + ": is required");
    } else if (!TopicNames.isValidAgentId(agentId)) {
      errors.add(field + ": '" + agentId + "' is not a valid agent id (" + TopicNames.AGENT_ID + ")");
    }
  }

  private static Map<String, String> lowerKeys(Map<String, String> map) {
    Map<String, String> lower = new LinkedHashMap<>();
    map.forEach((k, v) -> lower.put(k == null ? "" : k.toLowerCase(Locale.ROOT), v));
    return lower;
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses rules JSON; throws {@link IllegalArgumentException} with the parser's message when malformed. */
  public static RoutingRules fromJson(String json) {
    try {
      RoutingRules rules = JSON.readValue(json, RoutingRules.class);
      if (rules == null) {
        throw new IllegalArgumentException("routing rules: expected a JSON object");
      }
      return rules;
    } catch (com.fasterxml.jackson.core.JsonParseException e) {
      throw new IllegalArgumentException("routing rules are not valid JSON: " + e.getOriginalMessage(), e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("routing rules: " + e.getOriginalMessage(), e);
    }
  }
}
