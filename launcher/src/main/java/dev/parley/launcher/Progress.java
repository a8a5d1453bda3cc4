package dev.parley.launcher;

/** Start-up progress lines: "[1] Kafka broker ... ok (1.9 s, pid 123)". */
final class Progress {
  private int step;
  private long started;

  void step(String what) {
    step++;
    started = System.nanoTime();
    System.out.printf("[%d] %s ... ", step, what);
    System.out.flush();
  }

  void done(String detail) {
    System.out.printf("ok (%.1f s%s)%n", (System.nanoTime() - started) / 1e9, detail.isEmpty() ? "" : ", " + detail);
  }
}
