package dev.parley.speech;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cloud speech providers against their documented wire formats: a local server checks what each
 * client sends (path, headers, body, audio) and answers with recorded responses in the provider's
 * format. (The paid APIs themselves are not called in tests.)
 */
class CloudSpeechTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A Deepgram final result, as its live API sends it (trimmed of word timings). */
  private static final String DEEPGRAM_FINAL = "{\"type\":\"Results\",\"channel_index\":[0,1],\"duration\":1.2,"
      + "\"start\":%s,\"is_final\":true,\"speech_final\":%s,\"channel\":{\"alternatives\":[{\"transcript\":\"%s\","
      + "\"confidence\":%s,\"words\":[]}]},\"metadata\":{\"request_id\":\"5e2b\",\"model_info\":{\"name\":\"general-nova-3\"}},"
      + "\"from_finalize\":false}";
  private Javalin server;
  private String base;
  private final Map<String, Object> seen = new ConcurrentHashMap<>();

  @BeforeEach
  void start() {
    server = Javalin.create(config -> config.showJavalinBanner = false);
    server.post("/v1/audio/transcriptions", ctx -> {
      seen.put("auth", ctx.header("Authorization"));
      seen.put("type", ctx.contentType());
      seen.put("body", ctx.bodyAsBytes());
      if (!"Bearer good-key".equals(ctx.header("Authorization"))) {
        ctx.status(401).result("{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\"}}");
        return;
      }
      ctx.contentType("application/json").result("{\"text\":\"My account login isn't working.\",\"usage\":{\"type\":"
          + "\"tokens\",\"input_tokens\":14,\"output_tokens\":9,\"total_tokens\":23}}");
    });
    server.post("/v1/audio/speech", ctx -> {
      seen.put("speech", JSON.readTree(ctx.body()));
      seen.put("auth", ctx.header("Authorization"));
      ctx.contentType("application/octet-stream").result(tone24k(440, 2400));
    });
    server.post("/v1/text-to-speech/{voice}/stream", ctx -> {
      seen.put("voice", ctx.pathParam("voice"));
      seen.put("format", String.valueOf(ctx.queryParam("output_format")));
      seen.put("xi", String.valueOf(ctx.header("xi-api-key")));
      seen.put("eleven", JSON.readTree(ctx.body()));
      ctx.contentType("application/octet-stream").result(tone24k(440, 2400));
    });
    server.post("/tts/bytes", ctx -> {
      seen.put("cartesia", JSON.readTree(ctx.body()));
      seen.put("cartesiaAuth", String.valueOf(ctx.header("Authorization")));
      seen.put("cartesiaVersion", String.valueOf(ctx.header("Cartesia-Version")));
      if (!"Bearer sk_car_good".equals(ctx.header("Authorization"))) {
        ctx.status(401).result("{\"error\":\"Invalid API key\"}");
        return;
      }
      ctx.contentType("application/octet-stream").result(tone24k(440, 2400));
    });
    server.ws("/v1/listen", ws -> {
      ws.onConnect(ctx -> {
        seen.put("wsAuth", String.valueOf(ctx.header("Authorization")));
        seen.put("query", ctx.queryString());
        seen.put("audio", new ByteArrayOutputStream());
        if (!"Token good-key".equals(ctx.header("Authorization"))) {
          ctx.closeSession(1008, "Invalid credentials");
        }
      });
      ws.onBinaryMessage(ctx -> {
        ByteArrayOutputStream audio = (ByteArrayOutputStream) seen.get("audio");
        int before = audio.size();
        audio.write(ctx.data(), ctx.offset(), ctx.length());
        if (before < 32_000 && audio.size() >= 32_000) { // after a second of audio, a final for it (as the live API does)
          ctx.send("{\"type\":\"Results\",\"is_final\":false,\"channel\":{\"alternatives\":[{\"transcript\":\"my acc\","
              + "\"confidence\":0.5}]}}");
          ctx.send(String.format(DEEPGRAM_FINAL, "0.0", "false", "My account login", "0.98"));
          seen.put("earlyFinalSent", System.nanoTime());
        }
      });
      ws.onMessage(ctx -> {
        if (ctx.message().contains("CloseStream")) {
          seen.put("closeStreamAt", System.nanoTime());
          if (!seen.containsKey("earlyFinalSent")) {
            ctx.send("{\"type\":\"Results\",\"is_final\":false,\"channel\":{\"alternatives\":[{\"transcript\":"
                + "\"my acc\",\"confidence\":0.5}]}}");
            ctx.send(String.format(DEEPGRAM_FINAL, "0.0", "false", "My account login", "0.98"));
          }
          ctx.send(String.format(DEEPGRAM_FINAL, "1.2", "true", "isn't working.", "0.90"));
          ctx.send("{\"type\":\"Metadata\",\"transaction_key\":\"deprecated\",\"request_id\":\"5e2b\",\"duration\":2.4,"
              + "\"channels\":1}");
          ctx.closeSession(1000, "");
        }
      });
    });
    server.start("127.0.0.1", 0);
    base = "http://127.0.0.1:" + server.port();
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  @Test
  void openAiTranscriptionSendsAWavAndReadsTheText() {
    short[] pcm = new short[16_000]; // one second at 16 kHz
    SpeechToText.Transcript transcript = new OpenAiStt(base, "good-key", null, "en-US").transcribe(pcm);

    assertEquals("My account login isn't working.", transcript.text());
    assertEquals("Bearer good-key", seen.get("auth"));
    String body = new String((byte[]) seen.get("body"), StandardCharsets.ISO_8859_1);
    assertTrue(((String) seen.get("type")).startsWith("multipart/form-data; boundary="));
    assertTrue(body.contains("name=\"model\"\r\n\r\ngpt-4o-mini-transcribe\r\n"), body.substring(0, 300));
    assertTrue(body.contains("name=\"language\"\r\n\r\nen\r\n"));
    assertTrue(body.contains("filename=\"turn.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF"));
    assertTrue(body.length() > 32_000 + 44, "the whole utterance is sent");
  }

  /** OPENAI_BASE_URL as the LLM takes it (".../v1") reaches the same speech endpoints as the bare host. */
  @Test
  void aBaseUrlEndingInV1ServesSpeechAsWell() {
    SpeechToText.Transcript transcript = new OpenAiStt(base + "/v1/", "good-key", null, "en-US")
        .transcribe(new short[16_000]);
    assertEquals("My account login isn't working.", transcript.text());
    byte[] speech = new OpenAiTts(base + "/v1", "good-key", null, "alloy").synthesize("Hello there.", 1.0);
    assertTrue(speech.length > 0);
    assertEquals("Hello there.", ((com.fasterxml.jackson.databind.JsonNode) seen.get("speech")).path("input").asText());
  }

  @Test
  void aRefusedKeyIsAClearError() {
    RuntimeException e = assertThrows(RuntimeException.class, () -> new OpenAiStt(base, "wrong", null, null)
        .transcribe(new short[1600]));
    assertTrue(e.getMessage().contains("OpenAI transcription answered HTTP 401"), e.getMessage());
    assertTrue(e.getMessage().contains("Incorrect API key"), e.getMessage());
    RuntimeException unreachable = assertThrows(RuntimeException.class, () -> new OpenAiStt("http://127.0.0.1:1",
        "k", null, null).transcribe(new short[1600]));
    assertTrue(unreachable.getMessage().contains("not reachable"), unreachable.getMessage());
  }

  @Test
  void deepgramStreamsTheUtteranceAndJoinsTheFinalResults() {
    short[] pcm = new short[16_000 * 2];
    SpeechToText.Transcript transcript = new DeepgramStt(base.replace("http", "ws"), "good-key", null, null)
        .transcribe(pcm);

    assertEquals("My account login isn't working.", transcript.text(), "finals only, interim skipped");
    assertEquals(0.94, transcript.confidence(), 1e-9);
    assertEquals("Token good-key", seen.get("wsAuth"));
    assertTrue(((String) seen.get("query")).contains("encoding=linear16&sample_rate=16000&channels=1"));
    assertEquals(pcm.length * 2, ((ByteArrayOutputStream) seen.get("audio")).size(), "every sample streamed");
  }

  @Test
  void deepgramHearsTheCallerWhileTheySpeakAndFinishesWithTheTail() throws Exception {
    DeepgramStt deepgram = new DeepgramStt(base.replace("http", "ws"), "good-key", null, null);
    short[] tenMillis = new short[160];
    try (SpeechToText.Stream stream = deepgram.stream()) {
      for (int frame = 0; frame < 200; frame++) { // two seconds, 10 ms at a time, as the turn detector gives it
        stream.write(tenMillis);
      }
      // before the turn is over, the audio so far is already at Deepgram and a final result came back
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (((ByteArrayOutputStream) seen.getOrDefault("audio", new ByteArrayOutputStream())).size() < 64_000
          && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(64_000, ((ByteArrayOutputStream) seen.get("audio")).size(), "streamed before finish");
      assertTrue(seen.containsKey("earlyFinalSent"));
      assertTrue(!seen.containsKey("closeStreamAt"), "no CloseStream until the turn ends");

      SpeechToText.Transcript transcript = stream.finish();
      assertEquals("My account login isn't working.", transcript.text(), "the final sent while speaking, then the tail");
      assertEquals(0.94, transcript.confidence(), 1e-9);
      System.out.printf("deepgram stream: transcript %d ms after the end of the turn%n", transcript.millis());
    }
  }

  @Test
  void deepgramDownMidTurnIsAClearErrorAtFinish() {
    DeepgramStt deepgram = new DeepgramStt("ws://127.0.0.1:1", "good-key", null, null);
    try (SpeechToText.Stream stream = deepgram.stream()) {
      stream.write(new short[16_000]);
      RuntimeException e = assertThrows(RuntimeException.class, stream::finish);
      assertTrue(e.getMessage().startsWith("Deepgram is not reachable at 127.0.0.1"), e.getMessage());
    }
  }

  @Test
  void deepgramRefusingTheKeyIsAClearError() {
    RuntimeException e = assertThrows(RuntimeException.class, () -> new DeepgramStt(base.replace("http", "ws"),
        "wrong", null, null).transcribe(new short[3200]));
    assertTrue(e.getMessage().startsWith("Deepgram"), e.getMessage());
  }

  @Test
  void openAiSpeechAsksForPcmAndReturnsTheRoomsRate() {
    byte[] pcm = new OpenAiTts(base, "good-key", null, "nova").synthesize("Hello there.", 1.0);

    JsonNode request = (JsonNode) seen.get("speech");
    assertEquals("pcm", request.get("response_format").asText());
    assertEquals("nova", request.get("voice").asText());
    assertEquals("Hello there.", request.get("input").asText());
    assertEquals("Bearer good-key", seen.get("auth"));
    assertEquals(4800 * 2, pcm.length, "100 ms at 24 kHz becomes 100 ms at 48 kHz");
    assertEquals(440, frequency(pcm, 48_000), 10);
  }

  @Test
  void elevenLabsAsksForPcmAt24kAndReturnsTheRoomsRate() {
    byte[] pcm = new ElevenLabsTts(base, "xi-key", "voice123", null).synthesize("Hello there.", 1.0);

    assertEquals("voice123", seen.get("voice"));
    assertEquals("pcm_24000", seen.get("format"));
    assertEquals("xi-key", seen.get("xi"));
    assertEquals("eleven_flash_v2_5", ((JsonNode) seen.get("eleven")).get("model_id").asText());
    assertEquals(440, frequency(pcm, 48_000), 10);
  }

  @Test
  void cartesiaAsksForRawPcmAt24kAndReturnsTheRoomsRate() {
    byte[] pcm = new CartesiaTts(base, "sk_car_good", "voice-uuid", null).synthesize("Hello there.", 1.3);

    JsonNode request = (JsonNode) seen.get("cartesia");
    assertEquals("Hello there.", request.get("transcript").asText());
    assertEquals("sonic-2", request.get("model_id").asText());
    assertEquals("id", request.at("/voice/mode").asText());
    assertEquals("voice-uuid", request.at("/voice/id").asText());
    assertEquals("raw", request.at("/output_format/container").asText());
    assertEquals("pcm_s16le", request.at("/output_format/encoding").asText());
    assertEquals(24_000, request.at("/output_format/sample_rate").asInt());
    assertEquals("fast", request.get("speed").asText());
    assertEquals(CartesiaTts.API_VERSION, seen.get("cartesiaVersion"));
    assertEquals(4800 * 2, pcm.length, "100 ms at 24 kHz becomes 100 ms at 48 kHz");
    assertEquals(440, frequency(pcm, 48_000), 10);
  }

  @Test
  void cartesiaRefusingTheKeyIsAClearError() {
    RuntimeException e = assertThrows(RuntimeException.class, () -> new CartesiaTts(base, "wrong", null, null)
        .synthesize("Hello.", 1.0));
    assertTrue(e.getMessage().startsWith("Cartesia"), e.getMessage());
    assertTrue(e.getMessage().contains("401"), e.getMessage());
  }

  private static byte[] tone24k(double hz, int samples) {
    ByteBuffer out = ByteBuffer.allocate(samples * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < samples; i++) {
      out.putShort((short) (8000 * Math.sin(2 * Math.PI * hz * i / 24_000)));
    }
    return out.array();
  }

  /** Frequency from upward zero crossings. */
  private static double frequency(byte[] pcm, int rate) {
    short[] s = Pcm.samples(pcm);
    int crossings = 0;
    for (int i = 200; i < s.length - 200; i++) {
      if (s[i - 1] < 0 && s[i] >= 0) {
        crossings++;
      }
    }
    return crossings * (double) rate / (s.length - 400);
  }
}
