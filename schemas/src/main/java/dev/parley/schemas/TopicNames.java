package dev.parley.schemas;

import java.util.regex.Pattern;

/** Naming rules for Parley topics and agent ids that become part of topic names. */
public final class TopicNames {
  static final String RULE = "lowercase letters, digits, '.', '-' and '_', at most 200 characters";
  private static final Pattern TOPIC = Pattern.compile("[a-z0-9._-]{1,200}");
  /** Agent ids become topic names: keep them short and safe. */
  public static final Pattern AGENT_ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

  private TopicNames() {}

  static boolean isValid(String name) {
    return TOPIC.matcher(name).matches() && !name.equals(".") && !name.equals("..");
  }

  /** True when {@code agentId} may name a per-agent topic. */
  public static boolean isValidAgentId(String agentId) {
    return agentId != null && AGENT_ID.matcher(agentId).matches();
  }
}
