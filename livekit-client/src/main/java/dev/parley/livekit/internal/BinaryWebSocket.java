package dev.parley.livekit.internal;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A WebSocket carrying binary protobuf frames (java.net.http): reassembles fragmented messages,
 * serializes sends, answers pings (the JDK does), and reports a close or error exactly once.
 */
public final class BinaryWebSocket {
  private final WebSocket socket;
  private final AtomicBoolean closed;
  private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);

  private BinaryWebSocket(WebSocket socket, AtomicBoolean closed) {
    this.socket = socket;
    this.closed = closed;
  }

  public static BinaryWebSocket open(URI uri, Map<String, String> headers, Consumer<byte[]> onMessage,
      Consumer<String> onClose) {
    AtomicBoolean closed = new AtomicBoolean();
    Consumer<String> closeOnce = reason -> {
      if (closed.compareAndSet(false, true)) {
        onClose.accept(reason);
      }
    };
    WebSocket.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
        .newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    headers.forEach(builder::header);
    try {
      WebSocket socket = builder.buildAsync(uri, new Listener(onMessage, closeOnce)).get(10, TimeUnit.SECONDS);
      return new BinaryWebSocket(socket, closed);
    } catch (Exception e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
    }
  }

  public synchronized void send(byte[] message) {
    if (closed.get()) {
      return;
    }
    sending = sending.handle((v, e) -> null)
        .thenCompose(v -> socket.sendBinary(ByteBuffer.wrap(message), true));
  }

  public void close() {
    if (closed.compareAndSet(false, true)) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(2, TimeUnit.SECONDS);
      socket.abort();
    }
  }

  private static final class Listener implements WebSocket.Listener {
    private final Consumer<byte[]> onMessage;
    private final Consumer<String> onClose;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    Listener(Consumer<byte[]> onMessage, Consumer<String> onClose) {
      this.onMessage = onMessage;
      this.onClose = onClose;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      partial.writeBytes(bytes);
      if (last) {
        byte[] message = partial.toByteArray();
        partial.reset();
        onMessage.accept(message);
      }
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      onClose.accept("closed by server (" + statusCode + (reason.isBlank() ? "" : ": " + reason) + ")");
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      onClose.accept("connection error: " + error.getClass().getSimpleName() + ": " + error.getMessage());
    }
  }
}
