package dev.parley.localstack.junit;

import dev.parley.localstack.LiveKitServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test the real LiveKit server: {@code PARLEY_LIVEKIT_URL} when set (one server for the
 * whole run, keys devkey/secret), else one started for this JVM. Parameter type: {@link TestLiveKit}.
 */
public final class LiveKitExtension implements ParameterResolver {
  public static final String URL_ENV = "PARLEY_LIVEKIT_URL";
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LiveKitExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestLiveKit.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    String shared = System.getenv(URL_ENV);
    if (shared != null && !shared.isBlank()) {
      return new TestLiveKit(shared.strip(), null);
    }
    return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("livekit", key -> {
      try {
        LiveKitServer server = LiveKitServer.start(Files.createTempDirectory("parley-test-livekit"), 0);
        return new TestLiveKit(server.wsUrl(), server);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, TestLiveKit.class);
  }
}
