package dev.parley.localstack.junit;

import dev.parley.localstack.FerretDb;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test a real MongoDB-compatible server (FerretDB on SQLite). Uses {@code PARLEY_MONGODB_URI}
 * when set (one server for the whole run), else starts one for this JVM. Tests use their own
 * database names.
 */
public final class FerretDbExtension implements ParameterResolver {
  public static final String URI_ENV = "PARLEY_MONGODB_URI";
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(FerretDbExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == TestMongo.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    String shared = System.getenv(URI_ENV);
    if (shared != null && !shared.isBlank()) {
      return new TestMongo(shared.strip(), null);
    }
    return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent("ferretdb", key -> {
      try {
        FerretDb db = FerretDb.start(Files.createTempDirectory("parley-test-ferretdb"), 0);
        return new TestMongo(db.uri(), db);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, TestMongo.class);
  }
}
