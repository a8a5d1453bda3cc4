package dev.parley.localstack.junit;

import dev.parley.localstack.LiveKitServer;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The LiveKit server a test talks to: {@code ws://127.0.0.1:port}, keys devkey/secret. */
@SuppressWarnings("deprecation") // CloseableResource: still the contract JUnit 5.14 calls
public final class TestLiveKit implements ExtensionContext.Store.CloseableResource, AutoCloseable {
  private final String wsUrl;
  private final LiveKitServer owned;

  TestLiveKit(String wsUrl, LiveKitServer owned) {
    this.wsUrl = wsUrl;
    this.owned = owned;
  }

  public String wsUrl() {
    return wsUrl;
  }

  public String httpUrl() {
    return wsUrl.replaceFirst("^ws", "http");
  }

  public String apiKey() {
    return LiveKitServer.API_KEY;
  }

  public String apiSecret() {
    return LiveKitServer.API_SECRET;
  }

  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }
}
