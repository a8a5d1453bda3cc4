package dev.parley.insights;

import java.io.PrintStream;
import java.util.Locale;

/** Progress of a long read: prints a line at most every {@code intervalMs} and one at the end. */
public class Progress {
  /** Prints nothing. */
  public static final Progress NONE = new Progress(null, "", Long.MAX_VALUE);

  private final PrintStream out;
  private final String label;
  private final long intervalMs;
  private long total;
  private long done;
  private long startNanos;
  private long lastPrint;

  public Progress(PrintStream out, String label, long intervalMs) {
    this.out = out;
    this.label = label;
    this.intervalMs = intervalMs;
  }

  void begin(long totalRecords) {
    total = totalRecords;
    done = 0;
    startNanos = System.nanoTime();
    lastPrint = System.currentTimeMillis();
    print(String.format(Locale.ROOT, "%s: reading up to %,d records", label, total));
  }

  void advance(long records) {
    done += records;
    long now = System.currentTimeMillis();
    if (now - lastPrint >= intervalMs) {
      lastPrint = now;
      print(String.format(Locale.ROOT, "%s: %,d of %,d records (%d%%), %,.0f records/s", label, done, total,
          total == 0 ? 100 : done * 100 / total, rate()));
    }
  }

  void end() {
    print(String.format(Locale.ROOT, "%s: read %,d records in %.1f s (%,.0f records/s)", label, done,
        (System.nanoTime() - startNanos) / 1e9, rate()));
  }

  /** Records per second since {@link #begin}. */
  public double rate() {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    return seconds <= 0 ? 0 : done / seconds;
  }

  private void print(String line) {
    if (out != null) {
      out.println(line);
    }
  }
}
