package dev.parley.llm.violation;

/** Breaks "libraries never import services". */
public final class LibraryReachesUp {
  public Class<?> service() {
    return dev.parley.egress.EgressMain.class;
  }
}
