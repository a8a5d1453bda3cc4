package dev.parley.speech;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/**
 * OpenAI transcription ({@code POST /v1/audio/transcriptions}, multipart: the utterance as a 16 kHz
 * WAV, {@code model}, {@code language}, {@code response_format=json}) → {@code {"text": ...}}. The API
 * gives no confidence, so turns carry 1.0.
 */
public final class OpenAiStt implements SpeechToText {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String baseUrl;
  private final String apiKey;
  private final String model;
  private final String language;

  public OpenAiStt(String baseUrl, String apiKey, String model, String language) {
    this.baseUrl = CloudSpeech.openAiBase(baseUrl);
    this.apiKey = apiKey;
    this.model = model == null || model.isBlank() ? "gpt-4o-mini-transcribe" : model;
    this.language = language == null || language.isBlank() ? "en" : language.substring(0, 2);
  }

  @Override
  public Transcript transcribe(short[] pcm16k) {
    long start = System.nanoTime();
    String boundary = "parley-" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    field(body, boundary, "model", model);
    field(body, boundary, "language", language);
    field(body, boundary, "response_format", "json");
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"turn.wav\"\r\n"
        + "Content-Type: audio/wav\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(Pcm.wavBytes(Pcm.bytes(pcm16k), 16_000));
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(CloudSpeech.uri(baseUrl, "/v1/audio/transcriptions"))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + apiKey)
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
    byte[] answer = CloudSpeech.send("OpenAI transcription", request).body();
    try {
      JsonNode json = JSON.readTree(answer);
      if (!json.path("text").isTextual()) {
        throw new CloudSpeech.SpeechException("OpenAI transcription answered without text: "
            + new String(answer, StandardCharsets.UTF_8), null);
      }
      return new Transcript(json.get("text").asText().strip(), 1.0, (System.nanoTime() - start) / 1_000_000);
    } catch (java.io.IOException e) {
      throw new CloudSpeech.SpeechException("OpenAI transcription answered something that is not JSON", e);
    }
  }

  private static void field(ByteArrayOutputStream body, String boundary, String name, String value) {
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value
        + "\r\n").getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String name() {
    return "openai:" + model;
  }
}
