package dev.parley.egress;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigs;
import dev.parley.agentconfig.PinnedConfigs;
import dev.parley.speech.SpeechProviders;
import dev.parley.speech.TextToSpeech;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The voice each sentence is spoken in: the {@code voice_config} of the agent's config at the version the session was
 * routed with (the version every reply chunk carries), so a config published mid-call changes new sessions only.
 */
final class AgentVoices implements VoiceSession.Voices {
  private static final Logger LOG = LoggerFactory.getLogger(AgentVoices.class);

  private final PinnedConfigs configs;
  private final SpeechProviders providers;
  private final TextToSpeech fallback;

  AgentVoices(AgentConfigs configs, SpeechProviders providers, TextToSpeech fallback) {
    this.configs = new PinnedConfigs(configs, LOG);
    this.providers = providers;
    this.fallback = fallback;
  }

  private Optional<AgentConfig.VoiceConfig> voiceConfig(String agentId, int version) {
    return configs.at(agentId, version).map(AgentConfig::voiceConfig);
  }


  @Override
  public TextToSpeech of(String agentId, int version) {
    return voiceConfig(agentId, version).map(v -> providers.voice(v.provider(), v.voice())).orElse(fallback);
  }

  @Override
  public double speedOf(String agentId, int version) {
    return voiceConfig(agentId, version).map(AgentConfig.VoiceConfig::speed).orElse(1.0);
  }

  @Override
  public TextToSpeech fallback() {
    return fallback;
  }
}
