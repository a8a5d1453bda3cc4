package dev.parley.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection the server closes before answering (llama-server drops kept-alive connections after 5 s idle, and the
 * client may pick one up at that moment) is sent again, once, since nothing was read or spoken yet; a server that
 * keeps closing gets the error.
 */
class LlamaServerConnectionTest {
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  @Test
  void aRequestOnAConnectionClosedBeforeAnyAnswerIsSentAgain() throws Exception {
    AtomicInteger connections = new AtomicInteger();
    LlamaServer server = server(1, connections);

    List<String> pieces = new ArrayList<>();
    LlamaServer.Result result = server.complete("hi", JsonNodeFactory.instance.objectNode(), Duration.ofSeconds(5),
        pieces::add);

    assertThat(result.text()).isEqualTo("Hello there.");
    assertThat(pieces).containsExactly("Hello", " there.");
    assertThat(connections).as("the closed one, then a new one").hasValue(2);
  }

  @Test
  void aServerThatKeepsClosingGetsTheErrorAfterOneMoreTry() throws Exception {
    AtomicInteger connections = new AtomicInteger();
    LlamaServer server = server(Integer.MAX_VALUE, connections);

    assertThatThrownBy(() -> server.complete("hi", JsonNodeFactory.instance.objectNode(), Duration.ofSeconds(5),
        p -> { })).isInstanceOf(LlmProvider.LlmException.class).hasMessageStartingWith("local model server failed");
    assertThat(connections).hasValue(2);
  }

  /** A stand-in for llama-server's /completion that closes its first {@code closing} connections unanswered. */
  private LlamaServer server(int closing, AtomicInteger connections) throws IOException {
    ServerSocket socket = new ServerSocket(0, 16, java.net.InetAddress.getLoopbackAddress());
    open.add(socket);
    Thread accept = new Thread(() -> {
      while (!socket.isClosed()) {
        try (Socket client = socket.accept()) {
          readRequest(client.getInputStream());
          if (connections.incrementAndGet() <= closing) {
            continue; // closed without a byte
          }
          String events = "data: {\"content\":\"Hello\",\"stop\":false}\n\n"
              + "data: {\"content\":\" there.\",\"stop\":false}\n\n"
              + "data: {\"content\":\"\",\"stop\":true,\"stop_type\":\"eos\",\"timings\":{\"prompt_n\":1,"
              + "\"cache_n\":0,\"predicted_n\":2}}\n\n";
          byte[] body = events.getBytes(StandardCharsets.UTF_8);
          OutputStream out = client.getOutputStream();
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " + body.length
              + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(body);
          out.flush();
        } catch (IOException e) {
          // the socket closed: the test is over
        }
      }
    }, "stand-in-llama-server");
    accept.setDaemon(true);
    accept.start();
    Process alive = new ProcessBuilder("sleep", "60").start();
    open.add(alive::destroy);
    return new LlamaServer(alive, socket.getLocalPort());
  }

  private static void readRequest(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0) {
      head.append((char) b);
      if (head.toString().endsWith("\r\n\r\n")) {
        break;
      }
    }
    java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    if (length.find()) {
      in.readNBytes(Integer.parseInt(length.group(1)));
    }
  }
}
