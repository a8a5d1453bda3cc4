package dev.parley.agentconfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The four seed agents: support, sales, onboarding and interview practice. */
public final class SeedAgents {
  public static final List<String> IDS =
      List.of("support-agent-v1", "sales-agent-v1", "onboarding-agent-v1", "pte-interview-agent-v1");

  private SeedAgents() {}

  /** The seed configs as JSON, as a client would POST them. */
  public static List<String> json() {
    return IDS.stream().map(SeedAgents::load).toList();
  }

  public static List<AgentConfig> all() {
    return json().stream().map(AgentConfigJson::read).toList();
  }

  private static String load(String id) {
    String resource = "seeds/" + id + ".json";
    try (InputStream in = SeedAgents.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing seed resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
