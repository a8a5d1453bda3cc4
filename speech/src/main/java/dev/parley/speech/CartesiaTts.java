package dev.parley.speech;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.time.Duration;

/**
 * Cartesia text to speech ({@code POST /tts/bytes}, {@code Cartesia-Version} header, key as a bearer
 * token): raw 24 kHz 16-bit little-endian mono PCM asked for, resampled to the room's 48 kHz. The
 * voice is a Cartesia voice id; the model defaults to {@code sonic-2}.
 */
public final class CartesiaTts implements TextToSpeech {
  static final String API_VERSION = "2025-04-16";
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String baseUrl;
  private final String apiKey;
  private final String voiceId;
  private final String model;

  public CartesiaTts(String baseUrl, String apiKey, String voiceId, String model) {
    this.baseUrl = baseUrl == null || baseUrl.isBlank() ? "https://api.cartesia.ai" : baseUrl;
    this.apiKey = apiKey;
    this.voiceId = voiceId == null || voiceId.isBlank() ? "694f9389-aac1-45b6-b726-9d9369183238" : voiceId;
    this.model = model == null || model.isBlank() ? "sonic-2" : model;
  }

  @Override
  public byte[] synthesize(String text, double speed) {
    var body = JSON.createObjectNode().put("transcript", text).put("model_id", model).put("language", "en");
    body.putObject("voice").put("mode", "id").put("id", voiceId);
    body.putObject("output_format").put("container", "raw").put("encoding", "pcm_s16le").put("sample_rate", 24_000);
    // Cartesia names speeds rather than numbers: slow, normal, fast
    body.put("speed", speed < 0.9 ? "slow" : speed > 1.1 ? "fast" : "normal");
    HttpRequest request = HttpRequest.newBuilder(CloudSpeech.uri(baseUrl, "/tts/bytes"))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + apiKey)
        .header("Cartesia-Version", API_VERSION).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    return CloudSpeech.pcm24kTo48k(CloudSpeech.send("Cartesia", request).body());
  }

  @Override
  public String name() {
    return "cartesia:" + model + ":" + voiceId;
  }
}
