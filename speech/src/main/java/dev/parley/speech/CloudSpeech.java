package dev.parley.speech;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** What the cloud speech providers share: one HTTP client, bounded calls, errors that name the provider. */
final class CloudSpeech {
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private CloudSpeech() {}

  /** Sends {@code request}; a non-2xx answer or a failed call becomes a {@link SpeechException} naming {@code provider}. */
  static HttpResponse<byte[]> send(String provider, HttpRequest request) {
    HttpResponse<byte[]> response;
    try {
      response = HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new SpeechException(provider + " is not reachable at " + request.uri().getHost() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SpeechException(provider + ": interrupted", e);
    }
    if (response.statusCode() / 100 != 2) {
      String body = new String(response.body(), java.nio.charset.StandardCharsets.UTF_8);
      throw new SpeechException(provider + " answered HTTP " + response.statusCode() + ": "
          + (body.length() > 300 ? body.substring(0, 300) + "…" : body), null);
    }
    return response;
  }

  /**
   * OPENAI_BASE_URL as the OpenAI SDKs take it (ending in /v1, as the LLM needs) or without the /v1: the
   * speech paths add their own /v1, so both forms reach the same server.
   */
  static String openAiBase(String baseUrl) {
    return baseUrl == null || baseUrl.isBlank() ? "https://api.openai.com" : baseUrl.replaceAll("/+$", "")
        .replaceAll("/v1$", "");
  }

  static URI uri(String baseUrl, String path) {
    return URI.create(baseUrl.replaceAll("/+$", "") + path);
  }

  /** 16-bit little-endian PCM bytes at 24 kHz to 48 kHz bytes. */
  static byte[] pcm24kTo48k(byte[] pcm) {
    return Pcm.bytes(Pcm.up2(Pcm.samples(pcm)));
  }

  /** A speech provider failed: unreachable, refused, or answered something unusable. */
  static final class SpeechException extends RuntimeException {
    SpeechException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
