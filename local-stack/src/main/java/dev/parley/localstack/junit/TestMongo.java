package dev.parley.localstack.junit;

import dev.parley.localstack.FerretDb;
import java.util.UUID;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The MongoDB-compatible server a test talks to. */
@SuppressWarnings("deprecation") // CloseableResource: still the contract JUnit 5.14 calls
public final class TestMongo implements ExtensionContext.Store.CloseableResource, AutoCloseable {
  private final String uri;
  private final FerretDb owned;

  TestMongo(String uri, FerretDb owned) {
    this.uri = uri;
    this.owned = owned;
  }

  public String uri() {
    return uri;
  }

  /** A database name no other test uses. */
  public String freshDatabase() {
    return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  @Override
  public void close() {
    if (owned != null) {
      owned.close();
    }
  }
}
