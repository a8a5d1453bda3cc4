package dev.parley.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigs;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.RoutingDecision;
import dev.parley.events.RoutingStrategy;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** How a call is heard follows the agent config version its session was routed with. */
class SessionAgentsTest {
  private static final String AGENT = "support-agent-v1";
  private final TreeMap<Integer, AgentConfig> versions = new TreeMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final SessionAgents agents = new SessionAgents(AgentConfigs.of(Map.of(AGENT, versions)),
      () -> closed.set(true));

  private static AgentConfig withEndpointing(int ms) {
    ObjectNode tree = (ObjectNode) AgentConfigJson.MAPPER.valueToTree(SeedAgents.all().stream()
        .filter(c -> c.agentId().equals(AGENT)).findFirst().orElseThrow());
    tree.putObject("stt_config").put("provider", "local").put("language", "en").put("endpointing_ms", ms);
    return AgentConfigJson.fromTree(tree);
  }

  private static RoutingDecision decision(String session, int version) {
    return RoutingDecision.newBuilder().setSessionId(session).setAgentId(AGENT).setConfigVersion(version)
        .setStrategy(RoutingStrategy.PURPOSE).setReason("test").setDecidedAt(Instant.now()).build();
  }

  @Test
  void aWatchedSessionIsHeardWithTheVersionItWasRoutedWith() {
    versions.put(1, withEndpointing(500));
    versions.put(2, withEndpointing(900));
    agents.watch("s-old");
    agents.watch("s-new");
    agents.decided(decision("s-old", 1));
    agents.decided(decision("s-new", 2));

    assertThat(agents.configOf("s-old").map(c -> c.sttConfig().endpointingMs())).contains(500);
    assertThat(agents.configOf("s-new").map(c -> c.sttConfig().endpointingMs())).contains(900);
  }

  @Test
  void decisionsForSessionsNotWatchedOrForgottenAreNotKept() {
    versions.put(1, withEndpointing(500));
    agents.decided(decision("elsewhere", 1));
    agents.watch("s-1");
    agents.decided(decision("s-1", 1));
    agents.forget("s-1");

    assertThat(agents.configOf("elsewhere")).isEmpty();
    assertThat(agents.configOf("s-1")).isEmpty();
  }

  @Test
  void aVersionThisWorkerHasNotSeenFallsBackToTheNewestItHas() {
    versions.put(1, withEndpointing(700));
    agents.watch("s-1");
    agents.decided(decision("s-1", 4));

    assertThat(agents.configOf("s-1").map(c -> c.sttConfig().endpointingMs())).contains(700);
    agents.close();
    assertThat(closed).isTrue();
  }
}
