package dev.parley.speech;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Deepgram live transcription over its WebSocket ({@code /v1/listen}, linear16 at 16 kHz, key as
 * {@code Authorization: Token ...}): the utterance is streamed in 100 ms binary messages, then
 * {@code {"type":"CloseStream"}}; the final {@code Results} messages' transcripts are joined and their
 * confidences averaged.
 */
public final class DeepgramStt implements SpeechToText {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK_BYTES = 3_200; // 100 ms of 16 kHz 16-bit mono
  private final String baseUrl;
  private final String apiKey;
  private final String model;
  private final String language;

  public DeepgramStt(String baseUrl, String apiKey, String model, String language) {
    this.baseUrl = baseUrl == null || baseUrl.isBlank() ? "wss://api.deepgram.com" : baseUrl;
    this.apiKey = apiKey;
    this.model = model == null || model.isBlank() ? "nova-3" : model;
    this.language = language == null || language.isBlank() ? "en-US" : language;
  }

  @Override
  public Transcript transcribe(short[] pcm16k) {
    long start = System.nanoTime();
    URI uri = URI.create(baseUrl.replaceAll("/+$", "") + "/v1/listen?model=" + model + "&language=" + language
        + "&encoding=linear16&sample_rate=16000&channels=1&punctuate=true&smart_format=true");
    Results results = new Results();
    WebSocket socket;
    try {
      socket = CloudSpeech.HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
          .header("Authorization", "Token " + apiKey).buildAsync(uri, results).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new CloudSpeech.SpeechException("Deepgram is not reachable at " + uri.getHost() + ": " + cause(e), e);
    }
    try {
      byte[] pcm = Pcm.bytes(pcm16k);
      for (int offset = 0; offset < pcm.length; offset += CHUNK_BYTES) {
        int length = Math.min(CHUNK_BYTES, pcm.length - offset);
        socket.sendBinary(ByteBuffer.wrap(pcm, offset, length), true).get(5, TimeUnit.SECONDS);
      }
      socket.sendText("{\"type\":\"CloseStream\"}", true).get(5, TimeUnit.SECONDS);
      results.closed.get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      socket.abort();
      throw new CloudSpeech.SpeechException("Deepgram stream failed: " + cause(e), e);
    }
    if (results.error != null) {
      throw new CloudSpeech.SpeechException("Deepgram: " + results.error, null);
    }
    return new Transcript(results.text.toString().strip(), results.count == 0 ? 0 : results.confidence / results.count,
        (System.nanoTime() - start) / 1_000_000);
  }

  private static String cause(Exception e) {
    Throwable t = e.getCause() != null ? e.getCause() : e;
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  /** Collects the final results of one stream. */
  private static final class Results implements WebSocket.Listener {
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    final StringBuilder text = new StringBuilder();
    private final StringBuilder partial = new StringBuilder();
    double confidence;
    int count;
    volatile String error;

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        handle(partial.toString());
        partial.setLength(0);
      }
      socket.request(1);
      return null;
    }

    private void handle(String message) {
      try {
        JsonNode json = JSON.readTree(message);
        if ("Results".equals(json.path("type").asText()) && json.path("is_final").asBoolean()) {
          JsonNode best = json.at("/channel/alternatives/0");
          String words = best.path("transcript").asText("");
          if (!words.isBlank()) {
            text.append(text.length() == 0 ? "" : " ").append(words);
            confidence += best.path("confidence").asDouble(0);
            count++;
          }
        } else if (json.has("err_code") || "Error".equals(json.path("type").asText())) {
          error = json.path("err_msg").asText(json.path("description").asText(message));
        }
      } catch (java.io.IOException e) {
        error = "unreadable message: " + message;
      }
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int status, String reason) {
      if (status != WebSocket.NORMAL_CLOSURE && error == null) {
        error = "closed with " + status + " " + reason;
      }
      closed.complete(null);
      return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable e) {
      error = e.getClass().getSimpleName() + ": " + e.getMessage();
      closed.complete(null);
    }
  }

  @Override
  public String name() {
    return "deepgram:" + model;
  }
}
