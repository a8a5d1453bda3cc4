package dev.parley.speech;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.time.Duration;

/**
 * ElevenLabs text to speech ({@code POST /v1/text-to-speech/{voice_id}/stream?output_format=pcm_24000},
 * key in {@code xi-api-key}): raw 24 kHz 16-bit mono PCM, resampled to the room's 48 kHz.
 */
public final class ElevenLabsTts implements TextToSpeech {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String baseUrl;
  private final String apiKey;
  private final String voiceId;
  private final String model;

  public ElevenLabsTts(String baseUrl, String apiKey, String voiceId, String model) {
    this.baseUrl = baseUrl == null || baseUrl.isBlank() ? "https://api.elevenlabs.io" : baseUrl;
    this.apiKey = apiKey;
    this.voiceId = voiceId == null || voiceId.isBlank() ? "21m00Tcm4TlvDq8ikWAM" : voiceId;
    this.model = model == null || model.isBlank() ? "eleven_flash_v2_5" : model;
  }

  @Override
  public byte[] synthesize(String text, double speed) {
    var body = JSON.createObjectNode().put("text", text).put("model_id", model);
    body.putObject("voice_settings").put("speed", Math.max(0.7, Math.min(1.2, speed)));
    HttpRequest request = HttpRequest.newBuilder(CloudSpeech.uri(baseUrl, "/v1/text-to-speech/" + voiceId
            + "/stream?output_format=pcm_24000"))
        .timeout(Duration.ofSeconds(30)).header("xi-api-key", apiKey).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    return CloudSpeech.pcm24kTo48k(CloudSpeech.send("ElevenLabs", request).body());
  }

  @Override
  public String name() {
    return "elevenlabs:" + model + ":" + voiceId;
  }
}
