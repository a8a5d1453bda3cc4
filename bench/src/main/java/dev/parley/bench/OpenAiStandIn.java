package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.parley.llm.StandInLlmServer;
import dev.parley.speech.Pcm;
import dev.parley.speech.SpeechToText;
import dev.parley.speech.TextToSpeech;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One set of providers for both frameworks in {@code bench versus}: a local server speaking the three
 * OpenAI endpoints a voice agent calls, so that the frameworks are compared and not their models.
 * <ul>
 *   <li>{@code POST /v1/audio/transcriptions}: the WAV in the multipart {@code file} part, transcribed by the
 *       project's offline speech-to-text (Moonshine), answered {@code {"text": ...}};</li>
 *   <li>{@code POST /v1/chat/completions} (streamed): a scripted reply per caller turn (the n-th user message
 *       gets the n-th line), its first piece after {@code ttftMs} and then one word every
 *       1000 / {@code tokensPerSecond} ms; with a {@code json_schema} response format the reply is the
 *       schema's object with the line as {@code system_response} (every other field its first valid value),
 *       streamed at the same pace, so both frameworks wait the same for the same words;</li>
 *   <li>{@code POST /v1/audio/speech} ({@code response_format: pcm}): the text in the project's offline voice
 *       (Flite), as 24 kHz 16-bit mono PCM.</li>
 * </ul>
 */
final class OpenAiStandIn implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What the agent says to the n-th caller turn (the last line repeats). */
  static final List<String> REPLIES = List.of(
      "I'm sorry about the double charge. Which dates did you see it on?",
      "Thank you. I have refunded the second charge, and you will see it within five days.",
      "You're welcome. Have a great day!");
  private final HttpServer server;
  private final SpeechToText ears;
  private final TextToSpeech voice;
  private final long ttftMs;
  private final double tokensPerSecond;
  final AtomicLong transcriptions = new AtomicLong();
  final AtomicLong completions = new AtomicLong();
  final AtomicLong speeches = new AtomicLong();

  OpenAiStandIn(int port, SpeechToText ears, TextToSpeech voice, long ttftMs, double tokensPerSecond) throws IOException {
    this.ears = ears;
    this.voice = voice;
    this.ttftMs = ttftMs;
    this.tokensPerSecond = tokensPerSecond;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "stand-in");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", exchange -> {
      try (exchange) {
        String path = exchange.getRequestURI().getPath();
        if (path.endsWith("/chat/completions")) {
          completions.incrementAndGet();
          chat(exchange);
        } else if (path.endsWith("/audio/transcriptions")) {
          transcriptions.incrementAndGet();
          transcribe(exchange);
        } else if (path.endsWith("/audio/speech")) {
          speeches.incrementAndGet();
          speak(exchange);
        } else {
          send(exchange, 404, "application/json", "{\"error\":{\"message\":\"no such endpoint\"}}".getBytes());
        }
      } catch (Exception e) {
        try {
          send(exchange, 500, "application/json", JSON.createObjectNode().set("error", JSON.createObjectNode()
              .put("message", String.valueOf(e))).toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException ignored) {
          // the response had begun: the client sees a cut stream
        }
      }
    });
    server.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  private void chat(HttpExchange exchange) throws Exception {
    JsonNode request = JSON.readTree(exchange.getRequestBody());
    int userTurns = 0;
    for (JsonNode message : request.path("messages")) {
      if ("user".equals(message.path("role").asText())) {
        userTurns++;
      }
    }
    String line = REPLIES.get(Math.max(0, Math.min(REPLIES.size(), userTurns) - 1));
    List<String> pieces = new ArrayList<>();
    String[] words = line.split(" ");
    JsonNode schema = request.at("/response_format/json_schema/schema");
    String quoted = JSON.getNodeFactory().textNode(line).toString();
    if (schema.isMissingNode()) {
      for (int i = 0; i < words.length; i++) {
        pieces.add(i == 0 ? words[i] : " " + words[i]);
      }
    } else { // the same words at the same pace, inside the JSON object the schema asks for
      ObjectNode rest = JSON.createObjectNode();
      for (Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> property = it.next();
        if (!property.getKey().equals("system_response")) {
          rest.set(property.getKey(), StandInLlmServer.sample(property.getValue()));
        }
      }
      String inner = quoted.substring(1, quoted.length() - 1);
      String[] escapedWords = inner.split(" ");
      for (int i = 0; i < escapedWords.length; i++) {
        pieces.add(i == 0 ? "{\"system_response\":\"" + escapedWords[i] : " " + escapedWords[i]);
      }
      String fields = rest.toString();
      pieces.add("\"" + (rest.isEmpty() ? "}" : "," + fields.substring(1)));
    }
    String model = request.path("model").asText("stand-in");
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    Thread.sleep(ttftMs);
    long gapMs = Math.round(1000 / tokensPerSecond);
    for (int i = 0; i < pieces.size(); i++) {
      if (i > 0) {
        Thread.sleep(gapMs);
      }
      ObjectNode chunk = StandInLlmServer.chunk(model);
      ObjectNode choice = chunk.withArray("choices").addObject().put("index", 0);
      choice.putObject("delta").put("role", "assistant").put("content", pieces.get(i));
      if (i == pieces.size() - 1) {
        choice.put("finish_reason", "stop");
      } else {
        choice.putNull("finish_reason");
      }
      StandInLlmServer.write(out, chunk);
    }
    ObjectNode usage = StandInLlmServer.chunk(model);
    usage.putArray("choices");
    usage.putObject("usage").put("prompt_tokens", 100).put("completion_tokens", pieces.size())
        .put("total_tokens", 100 + pieces.size());
    StandInLlmServer.write(out, usage);
    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private void transcribe(HttpExchange exchange) throws Exception {
    String type = exchange.getRequestHeaders().getFirst("Content-Type");
    byte[] body = exchange.getRequestBody().readAllBytes();
    byte[] wav = part(body, type, "file");
    Pcm.Wav audio = Pcm.readWav(wav);
    short[] pcm16k = audio.rate() == 16_000 ? audio.samples() : Pcm.resample(audio.samples(), audio.rate(), 16_000);
    SpeechToText.Transcript transcript;
    synchronized (ears) { // one engine, one utterance at a time: the same queue for both frameworks
      transcript = ears.transcribe(pcm16k);
    }
    ObjectNode answer = JSON.createObjectNode().put("text", transcript.text()).put("language", "english")
        .put("duration", pcm16k.length / 16_000.0);
    send(exchange, 200, "application/json", answer.toString().getBytes(StandardCharsets.UTF_8));
  }

  private void speak(HttpExchange exchange) throws Exception {
    JsonNode request = JSON.readTree(exchange.getRequestBody());
    String format = request.path("response_format").asText("pcm");
    if (!format.equals("pcm")) {
      send(exchange, 400, "application/json", ("{\"error\":{\"message\":\"the stand-in speaks pcm only, not "
          + format + "\"}}").getBytes(StandardCharsets.UTF_8));
      return;
    }
    byte[] pcm48k = voice.synthesize(request.path("input").asText(""), 1.0);
    byte[] pcm24k = Pcm.bytes(Pcm.resample(Pcm.samples(pcm48k), 48_000, 24_000));
    send(exchange, 200, "audio/pcm", pcm24k);
  }

  /** The bytes of the named part of a multipart/form-data body. */
  static byte[] part(byte[] body, String contentType, String name) {
    if (contentType == null || !contentType.contains("boundary=")) {
      throw new IllegalArgumentException("not multipart/form-data: " + contentType);
    }
    String boundary = contentType.substring(contentType.indexOf("boundary=") + 9).replace("\"", "").split(";")[0];
    String text = new String(body, StandardCharsets.ISO_8859_1); // one char per byte: indexes are byte offsets
    String marker = "--" + boundary;
    int at = text.indexOf(marker);
    while (at >= 0) {
      int headersEnd = text.indexOf("\r\n\r\n", at);
      int next = text.indexOf(marker, at + marker.length());
      if (headersEnd < 0 || next < 0) {
        break;
      }
      String headers = text.substring(at, headersEnd);
      if (headers.contains("name=\"" + name + "\"")) {
        int start = headersEnd + 4;
        int end = next - 2; // the CRLF before the delimiter
        return java.util.Arrays.copyOfRange(body, start, Math.max(start, end));
      }
      at = next;
    }
    throw new IllegalArgumentException("no '" + name + "' part in the form");
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
