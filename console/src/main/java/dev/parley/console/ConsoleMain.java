package dev.parley.console;

import dev.parley.kit.Settings;
import java.util.concurrent.CountDownLatch;

/** Runs the console: the agent-picker page and the session replay, analytics and what-if API. */
public final class ConsoleMain {
  private ConsoleMain() {}

  public static void main(String[] args) throws Exception {
    ConsoleConfig config;
    try {
      config = ConsoleConfig.from(Settings.fromEnvironment());
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    dev.parley.kit.ServiceMetrics.install("console");
    Console console = Console.start(config);
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      console.close();
      stop.countDown();
    }, "console-stop"));
    stop.await();
  }
}
