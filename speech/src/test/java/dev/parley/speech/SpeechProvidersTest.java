package dev.parley.speech;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * An agent's speech settings pick the engine; a missing key or an unknown provider falls back to the offline
 * default, and an offline voice that cannot load falls back joe → slt → the last resort.
 */
class SpeechProvidersTest {
  private static final Path PIPER = ModelFiles.find("PARLEY_PIPER_MODEL", "en_US-joe-medium.onnx");
  private static final Map<String, String> NO_OFFLINE_VOICES = Map.of("PARLEY_PIPER_MODEL", "/nonexistent/joe.onnx",
      "PARLEY_FLITE", "/nonexistent/flite");
  private final TextToSpeech lastResort = new TextToSpeech() {
    @Override
    public byte[] synthesize(String text, double speed) {
      return new byte[0];
    }

    @Override
    public String name() {
      return "last-resort";
    }
  };
  private final SpeechToText ears = new SpeechToText() {
    @Override
    public Transcript transcribe(short[] pcm16k) {
      return new Transcript("", 0, 0);
    }

    @Override
    public String name() {
      return "local-ears";
    }
  };

  @Test
  void theConfiguredCloudEngineWhenItsKeyIsThere() {
    Map<String, String> env = new HashMap<>(NO_OFFLINE_VOICES);
    env.putAll(Map.of("OPENAI_API_KEY", "k", "DEEPGRAM_API_KEY", "d", "ELEVENLABS_API_KEY", "e"));
    SpeechProviders providers = new SpeechProviders(env, lastResort, ears);
    assertEquals("openai:gpt-4o-mini-tts:nova", providers.voice("openai", "nova").name());
    assertEquals("elevenlabs:eleven_flash_v2_5:v1", providers.voice("elevenlabs", "v1").name());
    assertEquals("deepgram:nova-3", providers.ears("deepgram", "en-US").name());
    assertEquals("openai:gpt-4o-mini-transcribe", providers.ears("openai", "en-US").name());
    assertSame(providers.voice("openai", "nova"), providers.voice("openai", "nova"), "one instance per choice");
  }

  @Test
  void theOfflineEngineWithoutAKeyOrForAnUnknownProvider() {
    SpeechProviders providers = new SpeechProviders(NO_OFFLINE_VOICES, lastResort, ears);
    assertSame(lastResort, providers.voice("openai", "nova"));
    assertSame(lastResort, providers.voice("cartesia", "x"));
    assertSame(ears, providers.ears("deepgram", "en-US"));
  }

  @Test
  void theOfflineVoicesByNameWithSltTheDefault() {
    assumeTrue(PIPER != null && FliteTts.available("flite"), "run ./parley setup (Piper voice, flite; CI has them)");
    SpeechProviders providers = new SpeechProviders(Map.of("PARLEY_PIPER_MODEL", PIPER.toString()), lastResort, ears);
    assertEquals("flite:slt", providers.voice("local", null).name());
    assertEquals("flite:slt", providers.voice(null, "").name());
    assertSame(providers.defaultVoice(), providers.voice("local", "slt"), "loaded once");
    assertEquals("piper:en_US-joe-medium", providers.voice("local", "joe").name());
    assertEquals("piper:en_US-joe-medium", providers.voice("piper", null).name());
    assertEquals("flite:rms", providers.voice("local", "RMS").name());
    assertEquals("flite:awb", providers.voice("local", "awb").name());
    assertEquals("flite:slt", providers.voice("local", "kevin16").name(), "retired: slt speaks instead");
    assertEquals("flite:slt", providers.voice("local", "hal9000").name(), "unknown: the default");
    assertEquals("flite:slt", providers.voice("openai", "nova").name(), "no key: the default");
  }

  @Test
  void aVoiceThatCannotLoadFallsBackToTheOtherKindThenTheLastResort() {
    assumeTrue(FliteTts.available("flite") && PIPER != null, "run ./parley setup (flite, Piper voice; CI has them)");
    SpeechProviders noPiper = new SpeechProviders(Map.of("PARLEY_PIPER_MODEL", "/nonexistent/joe.onnx"), lastResort,
        ears);
    assertEquals("flite:slt", noPiper.voice("local", "joe").name());
    SpeechProviders noFlite = new SpeechProviders(Map.of("PARLEY_PIPER_MODEL", PIPER.toString(), "PARLEY_FLITE",
        "/nonexistent/flite"), lastResort, ears);
    assertEquals("piper:en_US-joe-medium", noFlite.defaultVoice().name());
    SpeechProviders nothing = new SpeechProviders(NO_OFFLINE_VOICES, lastResort, ears);
    assertSame(lastResort, nothing.defaultVoice());
    assertSame(lastResort, nothing.voice("local", "rms"));
    assertSame(lastResort, nothing.voice("local", "joe"));
  }

  @Test
  void openingAnOfflineVoiceByNameSaysWhyItCannot() {
    assertThatThrownBy(() -> SpeechProviders.openLocal("hal9000", Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("joe, slt, rms, awb");
    assertThatThrownBy(() -> SpeechProviders.openLocal("slt", Map.of("PARLEY_FLITE", "/nonexistent/flite")))
        .hasMessageContaining("/nonexistent/flite").hasMessageContaining("./parley setup");
    assertThatThrownBy(() -> SpeechProviders.openLocal("joe", Map.of("PARLEY_PIPER_MODEL", "/nonexistent/joe.onnx")))
        .hasMessageContaining("/nonexistent/joe.onnx");
    assertThat(SpeechProviders.openLocal("kevin16", Map.of()).name()).isEqualTo("freetts");
    assumeTrue(PIPER != null, "run ./parley setup for the Piper voice (CI has it)");
    assertThat(SpeechProviders.openLocal("joe-low", Map.of("PARLEY_PIPER_MODEL", PIPER.toString())).name())
        .isEqualTo("joe-low");
  }

  @Test
  void theCallersVoiceIsItsBaseTenPercentSlowerAndLower() {
    TextToSpeech tone = new TextToSpeech() { // one second of 300 Hz
      @Override
      public byte[] synthesize(String text, double speed) {
        short[] pcm = new short[48_000];
        for (int i = 0; i < pcm.length; i++) {
          pcm[i] = (short) (6000 * Math.sin(2 * Math.PI * 300 * i / 48_000.0));
        }
        return Pcm.bytes(pcm);
      }

      @Override
      public String name() {
        return "tone";
      }
    };
    short[] lower = Pcm.samples(new ShiftedVoice(tone, 9, 10, "low").synthesize("x", 1.0));
    assertThat(lower.length).isBetween(53_300, 53_340);
    int crossings = 0;
    for (int i = 1; i < lower.length; i++) {
      crossings += lower[i - 1] < 0 && lower[i] >= 0 ? 1 : 0;
    }
    assertThat(crossings).as("the same 300 cycles, over 1.11 s: 270 Hz").isBetween(298, 301);
  }
}
