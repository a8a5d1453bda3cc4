package dev.parley.egress;

import dev.parley.kit.HealthServer;
import dev.parley.kit.Settings;
import dev.parley.speech.FreeTtsTts;
import java.util.concurrent.CountDownLatch;

/** Starts tts-egress: the agent's voice in every live session's room. */
public final class EgressMain {
  private EgressMain() {}

  public static void main(String[] args) throws InterruptedException {
    EgressConfig config;
    int healthPort;
    try {
      Settings settings = Settings.fromEnvironment();
      healthPort = settings.integer("PARLEY_EGRESS_HEALTH_PORT", -1, -1, 65535, "port of GET /health (-1: off)");
      config = EgressConfig.from(settings);
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    FreeTtsTts offline = new FreeTtsTts();
    EgressService service = new EgressService(config, offline, new dev.parley.speech.SpeechProviders(System.getenv(),
        offline, null));
    Thread thread = new Thread(service, "egress");
    thread.start();
    HealthServer health = healthPort < 0 ? null : HealthServer.start("0.0.0.0", healthPort,
        () -> thread.isAlive() ? "UP" : "DOWN consumer stopped");
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      if (health != null) {
        health.close();
      }
      stop.countDown();
    }, "egress-stop"));
    stop.await();
  }
}
