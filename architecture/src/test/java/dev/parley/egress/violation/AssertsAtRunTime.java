package dev.parley.egress.violation;

/** Breaks "no test framework in main code". */
public final class AssertsAtRunTime {
  public void check(Object o) {
    org.junit.jupiter.api.Assertions.assertNotNull(o);
  }
}
