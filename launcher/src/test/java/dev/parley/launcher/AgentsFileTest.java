package dev.parley.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.parley.agentconfig.AgentConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentsFileTest {
  private static final String AGENT = """
        - agent_id: %s
          tenant_id: trial
          name: Trial agent
          prompt_config:
            instructions: You answer questions about opening hours.
          schema_config:
            schema_id: hours_v1
            fields:
              - {name: asked_day, type: enum, enum_values: [monday, tuesday, other]}
      """;

  @Test
  void aListOfAgentsLoadsWithDefaultsFilledIn(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("agents.yaml"), "agents:\n" + AGENT.formatted("hours-agent")
        + AGENT.formatted("hours-agent-2"));

    List<AgentConfig> agents = AgentsFile.load(file);

    assertThat(agents).extracting(AgentConfig::agentId).containsExactly("hours-agent", "hours-agent-2");
    assertThat(agents.get(0).llmConfig().provider()).isEqualTo("local");
    assertThat(agents.get(0).version()).isEqualTo(1);
  }

  @Test
  void aSingleConfigAsJsonLoadsToo(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("agent.json"), dev.parley.agentconfig.SeedAgents.json().get(1));

    assertThat(AgentsFile.load(file)).extracting(AgentConfig::agentId).containsExactly("sales-agent-v1");
  }

  @Test
  void everyProblemIsReportedWithItsAgentAndField(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("agents.yaml"), AGENT.formatted("Bad Id")
        + AGENT.formatted("twice") + AGENT.formatted("twice") + "  - {agent_id: x, tenant_id: t, nmae: oops}\n");

    assertThatThrownBy(() -> AgentsFile.load(file))
        .hasMessageContaining("agents.yaml agent 'Bad Id': agent_id: must match")
        .hasMessageContaining("agents.yaml agent 'twice': agent_id: 'twice' is used twice")
        .hasMessageContaining("agents.yaml agent 4: nmae: unknown field");
  }

  @Test
  void anEmptyOrUnreadableFileSaysSo(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> AgentsFile.load(Files.writeString(dir.resolve("empty.yaml"), "")))
        .hasMessageContaining("no agent configs");
    assertThatThrownBy(() -> AgentsFile.load(dir.resolve("missing.yaml"))).hasMessageContaining("cannot read");
    assertThatThrownBy(() -> AgentsFile.load(Files.writeString(dir.resolve("bad.yaml"), "agents: [\n")))
        .hasMessageContaining("cannot read");
    assertThatThrownBy(() -> AgentsFile.load(Files.writeString(dir.resolve("dedented.yaml"),
        AGENT.formatted("a") + "- {agent_id: b}\n"))).as("an item indented differently is not silently dropped")
        .hasMessageContaining("cannot read");
  }

  @Test
  void withoutRulesTheFirstAgentIsTheDefaultAndEachTakesTheFirstWordOfItsId(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("agents.yaml"), "agents:\n" + AGENT.formatted("hours-agent")
        + AGENT.formatted("billing-agent-v2") + AGENT.formatted("hours-agent-2"));

    AgentsFile.Contents contents = AgentsFile.read(file);

    assertThat(contents.rulesFromFile()).isFalse();
    assertThat(contents.rules().defaultAgent()).isEqualTo("hours-agent");
    // RoutingRules keeps purposes in an unordered map: the entries are the property, not their order
    assertThat(contents.rules().purposes()).containsOnly(java.util.Map.entry("hours", "hours-agent"),
        java.util.Map.entry("billing", "billing-agent-v2"));
  }

  @Test
  void theFilesOwnRulesAreCheckedAgainstItsAgents(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("agents.yaml"), "agents:\n" + AGENT.formatted("hours-agent") + """
        routing:
          default_agent: hours-agent
          purposes: {hours: hours-agent, support: support-agent-v1}
          attribute_rules:
            - {id: vip, attribute: tier, equals: gold, agent_id: gone-agent}
          time_rules:
            - {id: nights, time_zone: Europe/London, from: "22:00", to: "06:00", agent_id: night-agent}
        """);

    assertThatThrownBy(() -> AgentsFile.read(file)).hasMessageContaining(
        "agents.yaml routing.purposes.support: 'support-agent-v1' is not an agent in this file")
        .hasMessageContaining("routing.attribute_rules[0].agent_id: 'gone-agent' is not an agent in this file")
        .hasMessageContaining("routing.time_rules[0].agent_id: 'night-agent' is not an agent in this file");

    Path good = Files.writeString(dir.resolve("good.yaml"), "agents:\n" + AGENT.formatted("hours-agent")
        + "routing: {default_agent: hours-agent, purposes: {opening: hours-agent}}\n");
    AgentsFile.Contents contents = AgentsFile.read(good);
    assertThat(contents.rulesFromFile()).isTrue();
    assertThat(contents.rules().purposes()).containsExactly(java.util.Map.entry("opening", "hours-agent"));

    Path typo = Files.writeString(dir.resolve("typo.yaml"), "agents:\n" + AGENT.formatted("hours-agent")
        + "routing: {default_agnet: hours-agent}\n");
    assertThatThrownBy(() -> AgentsFile.read(typo)).hasMessageContaining("typo.yaml routing:")
        .hasMessageContaining("default_agnet");
  }

  @Test
  void theShippedExampleIsValid() {
    AgentsFile.Contents example = AgentsFile.read(Path.of("..", "examples", "agents.yaml"));
    assertThat(example.agents()).extracting(AgentConfig::agentId).containsExactly("pte-interview-agent-v1");
    assertThat(example.rules().purposes()).containsEntry("interview", "pte-interview-agent-v1");
  }
}
