package dev.parley.ingress;

import dev.parley.kit.Settings;
import dev.parley.speech.PocketSphinxStt;
import java.util.concurrent.CountDownLatch;

/** Starts ingress-worker: registers with LiveKit as the Parley agent and serves the rooms it is given. */
public final class IngressMain {
  private IngressMain() {}

  public static void main(String[] args) throws InterruptedException {
    IngressConfig config;
    try {
      config = IngressConfig.from(Settings.fromEnvironment());
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    IngressWorker worker = new IngressWorker(config, new PocketSphinxStt());
    worker.start();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      worker.close();
      stop.countDown();
    }, "ingress-stop"));
    stop.await();
  }
}
