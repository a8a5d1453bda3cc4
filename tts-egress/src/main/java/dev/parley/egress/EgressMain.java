package dev.parley.egress;

import dev.parley.kit.Settings;
import dev.parley.speech.FreeTtsTts;
import java.util.concurrent.CountDownLatch;

/** Starts tts-egress: the agent's voice in every live session's room. */
public final class EgressMain {
  private EgressMain() {}

  public static void main(String[] args) throws InterruptedException {
    EgressConfig config;
    try {
      config = EgressConfig.from(Settings.fromEnvironment());
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    EgressService service = new EgressService(config, new FreeTtsTts());
    Thread thread = new Thread(service, "egress");
    thread.start();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      stop.countDown();
    }, "egress-stop"));
    stop.await();
  }
}
