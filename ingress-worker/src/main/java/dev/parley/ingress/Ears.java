package dev.parley.ingress;

import dev.parley.speech.SpeechProviders;
import dev.parley.speech.SpeechToText;
import java.util.OptionalInt;

/** How a caller is heard: the routed agent's stt_config (at its pinned version), else the worker's offline engine. */
record Ears(SpeechToText offline, SpeechProviders providers, SessionAgents agents) {
  SpeechToText engineFor(String sessionId) {
    return agents.configOf(sessionId).map(c -> c.sttConfig())
        .map(stt -> providers.ears(stt.provider(), stt.language())).orElse(offline);
  }

  OptionalInt endpointingFor(String sessionId) {
    return agents.configOf(sessionId).map(c -> c.sttConfig()).filter(stt -> stt.endpointingMs() != null)
        .map(stt -> OptionalInt.of(stt.endpointingMs())).orElse(OptionalInt.empty());
  }
}
