package dev.parley.cyclea;

/** With {@link dev.parley.cycleb.Second}: a cycle between two top-level packages. */
public final class First {
  public dev.parley.cycleb.Second next() {
    return null;
  }
}
