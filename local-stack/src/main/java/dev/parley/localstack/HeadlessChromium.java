package dev.parley.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Chromium run headless, to look at what Parley shows a person: a screenshot of a page, or
 * the page's DOM after its scripts ran. {@code ./parley setup} installs it; {@code PARLEY_CHROMIUM}
 * names another binary.
 */
public final class HeadlessChromium {
  private HeadlessChromium() {}

  /** The Chromium binary, or an exception that says how to get one. */
  public static Path binary() {
    String fromEnv = System.getenv("PARLEY_CHROMIUM");
    List<Path> candidates = new ArrayList<>();
    if (fromEnv != null && !fromEnv.isBlank()) {
      candidates.add(Path.of(fromEnv));
    }
    candidates.add(Path.of("/usr/bin/chromium"));
    candidates.add(Path.of("/usr/bin/chromium-browser"));
    return candidates.stream().filter(Files::isExecutable).findFirst().orElseThrow(() -> new IllegalStateException(
        "Chromium is not installed: run ./parley setup (installs Debian's chromium) or set PARLEY_CHROMIUM"));
  }

  /** Loads {@code url} and saves a PNG screenshot of the window ({@code width} x {@code height}). */
  public static Path screenshot(String url, Path png, int width, int height) throws IOException, InterruptedException {
    Files.createDirectories(png.toAbsolutePath().getParent());
    Files.deleteIfExists(png);
    List<String> command = new ArrayList<>(baseCommand());
    command.add("--window-size=" + width + "," + height);
    command.add("--screenshot=" + png.toAbsolutePath());
    command.add(url);
    run(command, png.resolveSibling(png.getFileName() + ".chromium.log"));
    if (!Files.exists(png) || Files.size(png) == 0) {
      throw new IllegalStateException("Chromium made no screenshot of " + url + "; see "
          + png.resolveSibling(png.getFileName() + ".chromium.log"));
    }
    return png;
  }

  /** Loads {@code url}, lets its scripts run for up to {@code budgetMs} of virtual time, and returns the DOM. */
  public static String dumpDom(String url, int budgetMs, Path log) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(baseCommand());
    command.add("--virtual-time-budget=" + budgetMs);
    command.add("--dump-dom");
    command.add(url);
    return run(command, log);
  }

  private static List<String> baseCommand() {
    return List.of(binary().toString(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--no-first-run", "--disable-extensions", "--disable-dev-shm-usage");
  }

  private static String run(List<String> command, Path log) throws IOException, InterruptedException {
    Files.createDirectories(log.toAbsolutePath().getParent());
    Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    byte[] out = process.getInputStream().readAllBytes();
    if (!process.waitFor(90, TimeUnit.SECONDS)) {
      ChildProcesses.kill(process);
      throw new IllegalStateException("Chromium did not finish in 90 s: " + String.join(" ", command));
    }
    return new String(out, java.nio.charset.StandardCharsets.UTF_8);
  }
}
