package dev.parley.kit;

import java.util.List;

/**
 * The seed system's {@code AGENT_FILTER}: a worker serves the agents whose id contains one of the
 * filter's parts ({@code support}, or a comma list {@code sales,onboarding}); a part written
 * {@code !support} leaves out the agents whose id contains it, so a general pool can be
 * {@code !support,!sales}. No parts: every agent.
 */
public record AgentFilter(List<String> parts) {

  public AgentFilter {
    parts = List.copyOf(parts);
    for (String part : parts) {
      if (part.isBlank() || part.equals("!")) {
        throw new IllegalArgumentException("'" + part + "' matches every agent; name a part of an agent id,"
            + " e.g. AGENT_FILTER=support or AGENT_FILTER=!support");
      }
    }
  }

  /** A comma-separated filter as the environment variable holds it. */
  public static AgentFilter parse(String commaList) {
    return new AgentFilter(List.of(commaList.split(",")).stream().map(String::strip).filter(p -> !p.isEmpty())
        .toList());
  }

  public boolean isEmpty() {
    return parts.isEmpty();
  }

  public boolean matches(String agentId) {
    boolean excluded = parts.stream().filter(p -> p.startsWith("!")).anyMatch(p -> agentId.contains(p.substring(1)));
    List<String> wanted = parts.stream().filter(p -> !p.startsWith("!")).toList();
    return !excluded && (wanted.isEmpty() || wanted.stream().anyMatch(agentId::contains));
  }

  @Override
  public String toString() {
    return String.join(",", parts);
  }
}
