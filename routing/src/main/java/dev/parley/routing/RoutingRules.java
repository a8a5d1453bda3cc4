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
 * Routing rules as data, in priority order after an explicit {@code agent_id}: time windows for the
 * session's purpose, purpose experiments, the purpose map, user attribute rules, time windows without a
 * purpose, experiments without one, the default agent. Edited through config-service and read by
 * router-stream from the compacted rules topic.
 *
 * @param version        set by config-service on every change
 * @param defaultAgent   where a session goes when nothing else matches
 * @param purposes       purpose (lower case) → agent id
 * @param attributeRules first match wins
 * @param experiments    weighted splits by a stable hash of user_id; with a purpose they replace
 *                       that purpose's mapping, without one they apply to sessions nothing else matched
 * @param timeRules      time-of-day / day-of-week windows in a named time zone, first match wins; with a
 *                       purpose they come before that purpose's experiments and mapping, without one they
 *                       apply to sessions no purpose or attribute rule matched
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = false)
public record RoutingRules(
    @JsonProperty("version") int version,
    @JsonProperty("default_agent") String defaultAgent,
    @JsonProperty("purposes") Map<String, String> purposes,
    @JsonProperty("attribute_rules") List<AttributeRule> attributeRules,
    @JsonProperty("experiments") List<Experiment> experiments,
    @JsonProperty("time_rules") List<TimeRule> timeRules) {

  static final int MAX_RULES = 200;
  private static final ObjectMapper JSON = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

  public RoutingRules {
    purposes = purposes == null ? Map.of() : Map.copyOf(lowerKeys(purposes));
    attributeRules = attributeRules == null ? List.of() : List.copyOf(attributeRules);
    experiments = experiments == null ? List.of() : List.copyOf(experiments);
    timeRules = timeRules == null ? List.of() : List.copyOf(timeRules);
  }

  /** The rules without time windows (as before time rules existed). */
  public RoutingRules(int version, String defaultAgent, Map<String, String> purposes,
      List<AttributeRule> attributeRules, List<Experiment> experiments) {
    this(version, defaultAgent, purposes, attributeRules, experiments, List.of());
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

  /**
   * A time window: on the listed days (the day the window opens; all days when empty), from {@code from}
   * up to {@code to} (24-hour {@code HH:mm}) in {@code time_zone}, sessions go to {@code agent_id}. A window
   * whose end is before its start runs across midnight ({@code 22:00}–{@code 06:00}); equal ends mean the
   * whole day. Local time in the zone, so daylight-saving changes move the window with the clocks.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record TimeRule(@JsonProperty("id") String id, @JsonProperty("time_zone") String timeZone,
      @JsonProperty("days") List<String> days, @JsonProperty("from") String from, @JsonProperty("to") String to,
      @JsonProperty("purpose") String purpose, @JsonProperty("agent_id") String agentId) {
    static final List<String> DAY_NAMES = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");

    public TimeRule {
      days = days == null ? List.of() : days.stream().map(d -> d == null ? "" : d.toLowerCase(Locale.ROOT)).toList();
      purpose = purpose == null ? null : purpose.toLowerCase(Locale.ROOT);
    }

    /** Whether the window is open at {@code at}; false when the rule is malformed (validation says why). */
    public boolean covers(java.time.Instant at) {
      java.time.ZonedDateTime local;
      java.time.LocalTime start;
      java.time.LocalTime end;
      try {
        local = at.atZone(java.time.ZoneId.of(timeZone));
        start = java.time.LocalTime.parse(from);
        end = java.time.LocalTime.parse(to);
      } catch (RuntimeException malformed) {
        return false;
      }
      java.time.LocalTime time = local.toLocalTime();
      java.time.DayOfWeek today = local.getDayOfWeek();
      if (start.equals(end)) {
        return on(today);
      }
      if (start.isBefore(end)) {
        return on(today) && !time.isBefore(start) && time.isBefore(end);
      }
      return (on(today) && !time.isBefore(start)) || (on(today.minus(1)) && time.isBefore(end));
    }

    private boolean on(java.time.DayOfWeek day) {
      return days.isEmpty() || days.contains(DAY_NAMES.get(day.getValue() - 1));
    }
  }

  /**
   * Every agent id the rules name, by the field that names it ({@code default_agent}, {@code purposes.sales},
   * {@code time_rules[0].agent_id}, ...), in rule order: for checking them against the agents that exist.
   */
  public Map<String, String> agentReferences() {
    Map<String, String> named = new LinkedHashMap<>();
    named.put("default_agent", defaultAgent);
    purposes.forEach((purpose, agent) -> named.put("purposes." + purpose, agent));
    for (int i = 0; i < attributeRules.size(); i++) {
      named.put("attribute_rules[" + i + "].agent_id", attributeRules.get(i).agentId());
    }
    for (int i = 0; i < experiments.size(); i++) {
      List<Variant> variants = experiments.get(i).variants();
      for (int v = 0; v < variants.size(); v++) {
        named.put("experiments[" + i + "].variants[" + v + "].agent_id", variants.get(v).agentId());
      }
    }
    for (int i = 0; i < timeRules.size(); i++) {
      named.put("time_rules[" + i + "].agent_id", timeRules.get(i).agentId());
    }
    named.values().removeIf(java.util.Objects::isNull);
    return named;
  }

  /** The enabled experiment that replaces {@code purpose}'s mapping, if any. */
  public Optional<Experiment> experimentFor(String purpose) {
    return experiments.stream().filter(e -> e.isEnabled() && purpose.equals(e.purpose())).findFirst();
  }

  public RoutingRules withVersion(int newVersion) {
    return new RoutingRules(newVersion, defaultAgent, purposes, attributeRules, experiments, timeRules);
  }

  /** Every rule broken, one message each naming the field; empty when the rules are usable. */
  public List<String> validate() {
    List<String> errors = new ArrayList<>();
    agent(errors, "default_agent", defaultAgent);
    if (purposes.size() + attributeRules.size() + experiments.size() + timeRules.size() > MAX_RULES) {
      errors.add("rules: at most " + MAX_RULES + " purposes, attribute rules, experiments and time rules in all");
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
    for (int i = 0; i < timeRules.size(); i++) {
      validateTimeRule(errors, "time_rules[" + i + "]", timeRules.get(i), ids);
    }
    return errors;
  }

  private static void validateTimeRule(List<String> errors, String at, TimeRule rule, Set<String> ids) {
    required(errors, at + ".id", rule.id());
    if (rule.id() != null && !ids.add(rule.id())) {
      errors.add(at + ".id: '" + rule.id() + "' is used twice");
    }
    if (rule.timeZone() == null || rule.timeZone().isBlank()) {
      errors.add(at + ".time_zone: is required (an IANA zone such as Europe/London or America/New_York)");
    } else {
      try {
        java.time.ZoneId.of(rule.timeZone());
      } catch (java.time.DateTimeException e) {
        errors.add(at + ".time_zone: '" + rule.timeZone() + "' is not a time zone (an IANA zone such as"
            + " Europe/London or America/New_York)");
      }
    }
    for (String end : new String[] {"from", "to"}) {
      String value = end.equals("from") ? rule.from() : rule.to();
      if (value == null || !value.matches("([01]\\d|2[0-3]):[0-5]\\d")) {
        errors.add(at + "." + end + ": " + (value == null ? "is required" : "'" + value + "' is not a time")
            + " (24-hour HH:mm, e.g. 09:00)");
      }
    }
    for (String day : rule.days()) {
      if (!TimeRule.DAY_NAMES.contains(day)) {
        errors.add(at + ".days: '" + day + "' is not a day (one of " + String.join(", ", TimeRule.DAY_NAMES) + ")");
      }
    }
    if (rule.purpose() != null && (rule.purpose().isBlank() || rule.purpose().length() > SessionMetadata.MAX_VALUE_CHARS)) {
      errors.add(at + ".purpose: must be 1-" + SessionMetadata.MAX_VALUE_CHARS + " characters when given");
    }
    agent(errors, at + ".agent_id", rule.agentId());
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
