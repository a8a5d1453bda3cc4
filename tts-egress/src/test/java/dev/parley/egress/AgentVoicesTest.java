package dev.parley.egress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigs;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.speech.SpeechProviders;
import dev.parley.speech.TextToSpeech;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The voice a sentence is spoken in follows the config version its session was routed with, not the newest. */
class AgentVoicesTest {
  private static final String AGENT = "sales-agent-v1";
  private final TreeMap<Integer, AgentConfig> versions = new TreeMap<>();
  private final TextToSpeech fallback = new NamedVoice("fallback");
  private final AgentVoices voices = new AgentVoices(AgentConfigs.of(Map.of(AGENT, versions)),
      new SpeechProviders(Map.of("OPENAI_API_KEY", "test-key"), fallback, null), fallback);

  private static AgentConfig withVoice(String voice, double speed) {
    ObjectNode tree = (ObjectNode) AgentConfigJson.MAPPER.valueToTree(SeedAgents.all().stream()
        .filter(c -> c.agentId().equals(AGENT)).findFirst().orElseThrow());
    tree.putObject("voice_config").put("provider", "openai").put("voice", voice).put("speed", speed);
    return AgentConfigJson.fromTree(tree);
  }

  @Test
  void aSessionKeepsTheVoiceOfTheVersionItWasRoutedWith() {
    versions.put(1, withVoice("alloy", 1.0));
    versions.put(2, withVoice("nova", 1.3));

    assertThat(voices.of(AGENT, 1).name()).endsWith(":alloy");
    assertThat(voices.speedOf(AGENT, 1)).isEqualTo(1.0);
    assertThat(voices.of(AGENT, 2).name()).endsWith(":nova");
    assertThat(voices.speedOf(AGENT, 2)).isEqualTo(1.3);
  }

  @Test
  void aVersionNotSeenYetUsesTheNewestAndAnUnknownAgentTheFallback() {
    versions.put(1, withVoice("alloy", 1.1));

    assertThat(voices.of(AGENT, 7).name()).endsWith(":alloy");
    assertThat(voices.speedOf(AGENT, 7)).isEqualTo(1.1);
    assertThat(voices.of("nobody", 1)).isSameAs(fallback);
    assertThat(voices.speedOf("nobody", 1)).isEqualTo(1.0);
  }

  private record NamedVoice(String name) implements TextToSpeech {
    @Override
    public byte[] synthesize(String text, double speed) {
      return new byte[0];
    }
  }
}
