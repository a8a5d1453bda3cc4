package dev.parley.config;

import dev.parley.kit.Settings;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ConfigServiceMain} runs the Admin API; {@code ConfigServiceMain seed [url]} creates the four
 * seed agents through it (idempotent).
 */
public final class ConfigServiceMain {
  private ConfigServiceMain() {}

  public static void main(String[] args) throws Exception {
    Settings settings = Settings.fromEnvironment();
    if (args.length > 0 && args[0].equals("seed")) {
      String url = args.length > 1 ? args[1] : "http://127.0.0.1:8080";
      String key = settings.string("PARLEY_ADMIN_API_KEY", null, "admin API key");
      String desk = settings.string("PARLEY_ORDER_DESK_URL", "", "where the seed support agent's order_status tool"
          + " reaches the example order desk (default: the local stack's " + SeedCommand.LOCAL_ORDER_DESK + ")");
      settings.validate("seed");
      System.exit(new SeedCommand(url, key, System.out, SeedCommand.orderDesk(desk)).run() ? 0 : 1);
    }
    ConfigServiceConfig config;
    try {
      config = ConfigServiceConfig.from(settings);
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    dev.parley.kit.ServiceMetrics.install("config-service");
    ConfigService service = ConfigService.start(config);
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      stop.countDown();
    }, "config-service-stop"));
    stop.await();
  }
}
