package dev.parley.speech;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks the speech engines an agent config names ({@code stt_config.provider}, {@code voice_config.provider}
 * and {@code voice}), one instance per choice. Cloud engines need their key in the environment
 * ({@code OPENAI_API_KEY}, {@code DEEPGRAM_API_KEY}, {@code ELEVENLABS_API_KEY}, {@code CARTESIA_API_KEY});
 * without them the offline engine is used and the fallback is logged once, so a call is never silent.
 *
 * <p>The offline voices ({@code provider: local}) are {@code slt}, the default, {@code rms} and {@code awb}:
 * Flite's clear synthetic voices (Debian's {@code flite}, {@code PARLEY_FLITE} names another program), and
 * {@code joe}: the natural Piper voice ({@code PARLEY_PIPER_MODEL}, fetched by setup), which on 2 cores adds about
 * 0.5 s to a turn's voice to voice (docs/benchmarks.md). FreeTTS's kevin16, in-process and always there, is only
 * the last resort: a Flite voice that cannot load falls back to joe, joe to slt, then to kevin16, logged once.
 * kevin16 was the offline default until speech-to-text measured it the hardest voice to understand (14 % of words
 * misheard against 4–7 %); a stored config that still names it speaks with slt.
 */
public final class SpeechProviders {
  private static final Logger LOG = LoggerFactory.getLogger(SpeechProviders.class);
  private final Map<String, String> env;
  /** The offline voices an agent may name ({@code voice_config.voice} with {@code provider: local}). */
  public static final List<String> LOCAL_VOICES = List.of("joe", "slt", "rms", "awb");
  /** FreeTTS's voice: the last resort, and {@link #openLocal} opens it by this name for measurements. */
  public static final String LAST_RESORT_VOICE = "kevin16";
  /** Every offline voice a benchmark measures: the agents' and the last resort. */
  public static final List<String> MEASURED_VOICES = java.util.stream.Stream.concat(LOCAL_VOICES.stream(),
      java.util.stream.Stream.of(LAST_RESORT_VOICE)).toList();
  /**
   * The voice the test and benchmark callers speak with: joe played 10 % slower and lower ({@link ShiftedVoice}),
   * natural (end-of-turn and speech-to-text models hear it as they hear people) and not an agent's voice.
   * {@link #openLocal} opens it; agents cannot name it.
   */
  public static final String CALLER_VOICE = "joe-low";
  /** The offline voice of an agent that names none. */
  public static final String DEFAULT_LOCAL_VOICE = "slt";
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
   * The voice for {@code provider} ({@code local}: the offline voice named by {@code voice}, see the class
   * comment; {@code piper}: joe; {@code openai}, {@code elevenlabs}, {@code cartesia}) and {@code voice}.
   * {@code localVoice} given to the constructor is the last resort (FreeTTS in the services).
   */
  public TextToSpeech voice(String provider, String voice) {
    String name = provider == null || provider.isBlank() ? "local" : provider;
    TextToSpeech offline = name.equals("local") || name.equals("piper") ? null : defaultVoice();
    return switch (name) {
      case "openai" -> keyed("OPENAI_API_KEY", name, () -> (TextToSpeech) engines.computeIfAbsent("tts:openai:" + voice,
          k -> new OpenAiTts(env.get("OPENAI_BASE_URL"), env.get("OPENAI_API_KEY"), env.get("PARLEY_OPENAI_TTS_MODEL"),
              voice)), offline);
      case "elevenlabs" -> keyed("ELEVENLABS_API_KEY", name, () -> (TextToSpeech) engines.computeIfAbsent(
          "tts:elevenlabs:" + voice, k -> new ElevenLabsTts(env.get("ELEVENLABS_BASE_URL"), env.get("ELEVENLABS_API_KEY"),
              voice, env.get("PARLEY_ELEVENLABS_MODEL"))), offline);
      case "cartesia" -> keyed("CARTESIA_API_KEY", name, () -> (TextToSpeech) engines.computeIfAbsent(
          "tts:cartesia:" + voice, k -> new CartesiaTts(env.get("CARTESIA_BASE_URL"), env.get("CARTESIA_API_KEY"),
              voice, env.get("PARLEY_CARTESIA_MODEL"))), offline);
      case "piper" -> local("joe");
      case "local" -> local(voice);
      default -> fallback("voice provider '" + name + "' is not supported here", offline);
    };
  }

  /** The offline voice of an agent that names none: slt, or the next one along the fallback. */
  public TextToSpeech defaultVoice() {
    return local(DEFAULT_LOCAL_VOICE);
  }

  /**
   * Opens the offline voice {@code voice} (one of {@link #MEASURED_VOICES} or {@link #CALLER_VOICE}; blank: the
   * default, slt), or says in one line why it cannot: for tools that must not fall back silently (a benchmark's
   * caller, the demo's caller). Without {@code PARLEY_PIPER_MODEL}, joe is read from where setup puts it.
   *
   * @throws IllegalArgumentException for an unknown name or a missing Piper voice file
   * @throws IllegalStateException when the flite program or espeak-ng (Piper's phonemizer) is not installed
   */
  public static TextToSpeech openLocal(String voice, Map<String, String> env) {
    String name = voice == null || voice.isBlank() ? DEFAULT_LOCAL_VOICE : voice.strip().toLowerCase(Locale.ROOT);
    if (name.equals("joe")) {
      return PiperTts.open(java.nio.file.Path.of(env.getOrDefault("PARLEY_PIPER_MODEL",
          ".parley/models/en_US-joe-medium.onnx")));
    }
    if (FliteTts.VOICES.contains(name)) {
      String program = env.getOrDefault("PARLEY_FLITE", "flite");
      if (!FliteTts.available(program)) {
        throw new IllegalStateException("the voice " + name + " needs the program " + program
            + " (Debian's flite; ./parley setup installs it)");
      }
      return new FliteTts(program, name);
    }
    if (name.equals(LAST_RESORT_VOICE)) {
      return new FreeTtsTts();
    }
    if (name.equals(CALLER_VOICE)) {
      return new ShiftedVoice(openLocal("joe", env), 9, 10, CALLER_VOICE);
    }
    throw new IllegalArgumentException("offline voice '" + voice + "' is not one of " + MEASURED_VOICES + " or "
        + CALLER_VOICE);
  }

  /** An offline voice, loaded once; one that cannot load falls back (Flite → joe, joe → slt, then the last resort). */
  private TextToSpeech local(String voice) {
    String name = voice == null || voice.isBlank() ? DEFAULT_LOCAL_VOICE : voice.strip().toLowerCase(Locale.ROOT);
    if (name.equals(LAST_RESORT_VOICE)) {
      return fallback("kevin16 (FreeTTS) was retired as the hardest offline voice to understand: a config naming"
          + " it speaks with slt", local("slt"));
    }
    if (!LOCAL_VOICES.contains(name)) {
      return fallback("offline voice '" + voice + "' is not one of " + LOCAL_VOICES, defaultVoice());
    }
    Object loaded = engines.computeIfAbsent("tts:local:" + name, k -> {
      try {
        return openLocal(name, env);
      } catch (RuntimeException e) {
        return e;
      }
    });
    if (loaded instanceof RuntimeException e) {
      TextToSpeech instead;
      if (name.equals("joe")) {
        instead = engines.get("tts:local:slt") instanceof RuntimeException ? localVoice : local("slt");
      } else {
        instead = engines.get("tts:local:joe") instanceof RuntimeException ? localVoice : local("joe");
      }
      return fallback("the voice " + name + " cannot be used (" + e.getMessage() + ")", instead);
    }
    return (TextToSpeech) loaded;
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
