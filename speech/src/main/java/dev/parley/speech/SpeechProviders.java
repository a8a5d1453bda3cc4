package dev.parley.speech;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the speech engines an agent config names ({@code stt_config.provider}, {@code voice_config.provider}
 * and {@code voice}), one instance per choice. Cloud engines need their key in the environment
 * ({@code OPENAI_API_KEY}, {@code DEEPGRAM_API_KEY}, {@code ELEVENLABS_API_KEY}, {@code CARTESIA_API_KEY});
 * the Piper voice needs its model ({@code PARLEY_PIPER_MODEL}, fetched by setup); without them the
 * offline engine is used and the fallback is logged once, so a call is never silent.
 */
public final class SpeechProviders {
  private static final Logger LOG = LoggerFactory.getLogger(SpeechProviders.class);
  private final Map<String, String> env;
  private final TextToSpeech localVoice;
  private final SpeechToText localEars;
  private final Map<String, Object> engines = new ConcurrentHashMap<>();
  private final Map<String, Boolean> warned = new ConcurrentHashMap<>();

  public SpeechProviders(Map<String, String> env, TextToSpeech localVoice, SpeechToText localEars) {
    this.env = Map.copyOf(env);
    this.localVoice = localVoice;
    this.localEars = localEars;
  }

  /**
   * The voice for {@code provider} ({@code local}: FreeTTS, {@code piper}: the offline neural voice,
   * {@code openai}, {@code elevenlabs}, {@code cartesia}) and {@code voice}.
   */
  public TextToSpeech voice(String provider, String voice) {
    String name = provider == null || provider.isBlank() ? "local" : provider;
    return switch (name) {
      case "openai" -> keyed("OPENAI_API_KEY", name, () -> (TextToSpeech) engines.computeIfAbsent("tts:openai:" + voice,
          k -> new OpenAiTts(env.get("OPENAI_BASE_URL"), env.get("OPENAI_API_KEY"), env.get("PARLEY_OPENAI_TTS_MODEL"),
              voice)), localVoice);
      case "elevenlabs" -> keyed("ELEVENLABS_API_KEY", name, () -> (TextToSpeech) engines.computeIfAbsent(
          "tts:elevenlabs:" + voice, k -> new ElevenLabsTts(env.get("ELEVENLABS_BASE_URL"), env.get("ELEVENLABS_API_KEY"),
              voice, env.get("PARLEY_ELEVENLABS_MODEL"))), localVoice);
      case "cartesia" -> keyed("CARTESIA_API_KEY", name, () -> (TextToSpeech) engines.computeIfAbsent(
          "tts:cartesia:" + voice, k -> new CartesiaTts(env.get("CARTESIA_BASE_URL"), env.get("CARTESIA_API_KEY"),
              voice, env.get("PARLEY_CARTESIA_MODEL"))), localVoice);
      case "piper" -> piper();
      case "local" -> localVoice;
      default -> fallback("voice provider '" + name + "' is not supported here", localVoice);
    };
  }

  /** The speech-to-text engine for {@code provider} ({@code local}, {@code openai}, {@code deepgram}). */
  public SpeechToText ears(String provider, String language) {
    String name = provider == null || provider.isBlank() ? "local" : provider;
    return switch (name) {
      case "openai" -> keyed("OPENAI_API_KEY", name, () -> (SpeechToText) engines.computeIfAbsent("stt:openai:" + language,
          k -> new OpenAiStt(env.get("OPENAI_BASE_URL"), env.get("OPENAI_API_KEY"), env.get("PARLEY_OPENAI_STT_MODEL"),
              language)), localEars);
      case "deepgram" -> keyed("DEEPGRAM_API_KEY", name, () -> (SpeechToText) engines.computeIfAbsent(
          "stt:deepgram:" + language, k -> new DeepgramStt(env.get("DEEPGRAM_URL"), env.get("DEEPGRAM_API_KEY"),
              env.get("PARLEY_DEEPGRAM_MODEL"), language)), localEars);
      case "local" -> localEars;
      default -> fallback("speech-to-text provider '" + name + "' is not supported here", localEars);
    };
  }

  /** The offline neural voice (PARLEY_PIPER_MODEL), loaded once; the offline voice if it cannot be. */
  private TextToSpeech piper() {
    Object loaded = engines.computeIfAbsent("tts:piper", k -> {
      try {
        return PiperTts.open(java.nio.file.Path.of(env.getOrDefault("PARLEY_PIPER_MODEL", "")));
      } catch (RuntimeException e) {
        return e;
      }
    });
    if (loaded instanceof RuntimeException e) {
      return fallback("the Piper voice cannot be used (" + e.getMessage() + ")", localVoice);
    }
    return (TextToSpeech) loaded;
  }

  private <T> T keyed(String key, String provider, java.util.function.Supplier<T> engine, T local) {
    String value = env.get(key);
    if (value == null || value.isBlank()) {
      return fallback(provider + " needs " + key + " in the environment", local);
    }
    return engine.get();
  }

  private <T> T fallback(String why, T local) {
    if (warned.putIfAbsent(why, true) == null) {
      LOG.warn("{}; using the offline engine instead", why);
    }
    return local;
  }
}
