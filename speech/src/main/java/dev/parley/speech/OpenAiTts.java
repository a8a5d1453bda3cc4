package dev.parley.speech;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.time.Duration;

/**
 * OpenAI speech ({@code POST /v1/audio/speech}): text in, raw 24 kHz 16-bit mono PCM out
 * ({@code response_format: pcm}), resampled to the room's 48 kHz. Works with any server that speaks
 * the same API ({@code OPENAI_BASE_URL}).
 */
public final class OpenAiTts implements TextToSpeech {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String baseUrl;
  private final String apiKey;
  private final String model;
  private final String voice;

  public OpenAiTts(String baseUrl, String apiKey, String model, String voice) {
    this.baseUrl = CloudSpeech.openAiBase(baseUrl);
    this.apiKey = apiKey;
    this.model = model == null || model.isBlank() ? "gpt-4o-mini-tts" : model;
    this.voice = voice == null || voice.isBlank() ? "alloy" : voice;
  }

  @Override
  public byte[] synthesize(String text, double speed) {
    return synthesize(text, speed, VoiceStyle.NONE);
  }

  /** {@code gpt-4o-mini-tts} takes the directions as written ({@code instructions}); other models get the rate. */
  @Override
  public byte[] synthesize(String text, double speed, VoiceStyle style) {
    VoiceStyle s = style == null ? VoiceStyle.NONE : style;
    boolean freeText = model.startsWith("gpt-4o") && !s.isNone();
    var json = JSON.createObjectNode().put("model", model).put("voice", voice).put("input", text)
        .put("response_format", "pcm").put("speed", Math.max(0.25, Math.min(4.0, freeText ? speed : speed * s.rate())));
    if (freeText) {
      json.put("instructions", s.instructions());
    }
    String body = json.toString();
    HttpRequest request = HttpRequest.newBuilder(CloudSpeech.uri(baseUrl, "/v1/audio/speech"))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + apiKey)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    byte[] pcm = CloudSpeech.pcm24kTo48k(CloudSpeech.send("OpenAI speech", request).body());
    return freeText ? pcm : s.withVolume(pcm);
  }

  @Override
  public String name() {
    return "openai:" + model + ":" + voice;
  }
}
