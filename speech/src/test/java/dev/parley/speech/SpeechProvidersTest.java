package dev.parley.speech;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** An agent's speech settings pick the engine; a missing key or an unknown provider falls back to the offline one. */
class SpeechProvidersTest {
  private final TextToSpeech local = new TextToSpeech() {
    @Override
    public byte[] synthesize(String text, double speed) {
      return new byte[0];
    }

    @Override
    public String name() {
      return "local";
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
    SpeechProviders providers = new SpeechProviders(Map.of("OPENAI_API_KEY", "k", "DEEPGRAM_API_KEY", "d",
        "ELEVENLABS_API_KEY", "e"), local, ears);
    assertEquals("openai:gpt-4o-mini-tts:nova", providers.voice("openai", "nova").name());
    assertEquals("elevenlabs:eleven_flash_v2_5:v1", providers.voice("elevenlabs", "v1").name());
    assertEquals("deepgram:nova-3", providers.ears("deepgram", "en-US").name());
    assertEquals("openai:gpt-4o-mini-transcribe", providers.ears("openai", "en-US").name());
    assertSame(providers.voice("openai", "nova"), providers.voice("openai", "nova"), "one instance per choice");
    assertSame(local, providers.voice(null, null));
  }

  @Test
  void theOfflineEngineWithoutAKeyOrForAnUnknownProvider() {
    SpeechProviders providers = new SpeechProviders(Map.of(), local, ears);
    assertSame(local, providers.voice("openai", "nova"));
    assertSame(local, providers.voice("cartesia", "x"));
    assertSame(ears, providers.ears("deepgram", "en-US"));
  }
}
