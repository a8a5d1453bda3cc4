package dev.parley.speech;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Deepgram live transcription over its WebSocket ({@code /v1/listen}, linear16 at 16 kHz, key as
 * {@code Authorization: Token ...}): the utterance is streamed in 100 ms binary messages while the
 * caller speaks, then {@code {"type":"CloseStream"}}; the final {@code Results} messages'
 * transcripts (those sent during the stream and those after it) are joined and their confidences
 * averaged.
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
    try (Stream stream = stream()) {
      stream.write(pcm16k);
      Transcript transcript = stream.finish();
      return new Transcript(transcript.text(), transcript.confidence(), (System.nanoTime() - start) / 1_000_000);
    }
  }

  /**
   * A live stream: the WebSocket opens at once (while the caller is still speaking), audio goes out
   * in 100 ms messages as it comes, and {@code finish} sends the tail and {@code CloseStream}, then
   * waits only for the last results.
   */
  @Override
  public Stream stream() {
    return new LiveStream();
  }

  private final class LiveStream implements Stream {
    private final URI uri = URI.create(baseUrl.replaceAll("/+$", "") + "/v1/listen?model=" + model + "&language="
        + language + "&encoding=linear16&sample_rate=16000&channels=1&punctuate=true&smart_format=true");
    private final Results results = new Results();
    private final CompletableFuture<WebSocket> connected;
    private CompletableFuture<WebSocket> sent; // the socket once every queued message has gone out
    private final ByteArrayOutputStream unsent = new ByteArrayOutputStream();

    LiveStream() {
      connected = CloudSpeech.HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
          .header("Authorization", "Token " + apiKey).buildAsync(uri, results).toCompletableFuture();
      sent = connected;
    }

    @Override
    public void write(short[] pcm16k) {
      unsent.writeBytes(Pcm.bytes(pcm16k));
      if (unsent.size() >= CHUNK_BYTES) {
        send();
      }
    }

    private void send() {
      byte[] chunk = unsent.toByteArray();
      unsent.reset();
      // one message at a time: each send starts when the one before it has completed
      sent = sent.thenCompose(socket -> socket.sendBinary(ByteBuffer.wrap(chunk), true));
    }

    @Override
    public Transcript finish() {
      long start = System.nanoTime();
      if (unsent.size() > 0) {
        send();
      }
      sent = sent.thenCompose(socket -> socket.sendText("{\"type\":\"CloseStream\"}", true));
      try {
        connected.get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        close();
        throw new CloudSpeech.SpeechException("Deepgram is not reachable at " + uri.getHost() + ": " + cause(e), e);
      }
      try {
        sent.get(10, TimeUnit.SECONDS);
        results.closed.get(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        close();
        if (results.error != null) { // what Deepgram said when it closed says more than the failed send
          throw new CloudSpeech.SpeechException("Deepgram: " + results.error, e);
        }
        throw new CloudSpeech.SpeechException("Deepgram stream failed: " + cause(e), e);
      }
      if (results.error != null) {
        throw new CloudSpeech.SpeechException("Deepgram: " + results.error, null);
      }
      synchronized (results) {
        return new Transcript(results.text.toString().strip(),
            results.count == 0 ? 0 : results.confidence / results.count, (System.nanoTime() - start) / 1_000_000);
      }
    }

    @Override
    public void close() {
      connected.thenAccept(socket -> {
        if (!results.closed.isDone()) {
          socket.abort();
        }
      });
    }
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

    private synchronized void handle(String message) {
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
