package dev.parley.cycleb;

/** With {@link dev.parley.cyclea.First}: a cycle between two top-level packages. */
public final class Second {
  public dev.parley.cyclea.First back() {
    return null;
  }
}
