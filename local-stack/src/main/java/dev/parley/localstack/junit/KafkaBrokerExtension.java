package dev.parley.localstack.junit;

import dev.parley.localstack.KafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test a real Kafka broker. One broker serves the whole test run: when the environment
 * names one in {@code PARLEY_KAFKA_BOOTSTRAP} (as {@code .ci/run} does) it is used; otherwise the
 * first test to ask starts one for this JVM, and it stops when the JVM's tests are done.
 *
 * <p>Tests receive a {@link TestKafka} parameter. Since the broker is shared, tests use fresh
 * session ids, group ids or topic names rather than assuming empty topics.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, ParameterResolver {
  public static final String BOOTSTRAP_ENV = "PARLEY_KAFKA_BOOTSTRAP";
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    kafka(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestKafka.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return kafka(context);
  }

  private static TestKafka kafka(ExtensionContext context) {
    String shared = System.getenv(BOOTSTRAP_ENV);
    if (shared != null && !shared.isBlank()) {
      return new TestKafka(shared.strip(), null);
    }
    return context.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent("broker", key -> startBroker(), TestKafka.class);
  }

  private static TestKafka startBroker() {
    try {
      KafkaBroker broker = KafkaBroker.start(Files.createTempDirectory("parley-test-kafka"), 0);
      return new TestKafka(broker.bootstrapServers(), broker);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
