package dev.parley.ingress;

import dev.parley.kit.HealthServer;
import dev.parley.kit.Settings;
import dev.parley.speech.PocketSphinxStt;
import java.util.concurrent.CountDownLatch;

/** Starts ingress-worker: registers with LiveKit as the Parley agent and serves the rooms it is given. */
public final class IngressMain {
  private IngressMain() {}

  public static void main(String[] args) throws InterruptedException {
    IngressConfig config;
    int healthPort;
    try {
      Settings settings = Settings.fromEnvironment();
      healthPort = settings.integer("PARLEY_INGRESS_HEALTH_PORT", -1, -1, 65535, "port of GET /health (-1: off)");
      config = IngressConfig.from(settings);
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    dev.parley.speech.SpeechToText offline = offlineEars(System.getenv("PARLEY_MOONSHINE_DIR"));
    IngressWorker worker = new IngressWorker(config, offline, new dev.parley.speech.SpeechProviders(System.getenv(),
        null, offline));
    worker.start();
    HealthServer health = healthPort < 0 ? null : HealthServer.start("0.0.0.0", healthPort,
        () -> worker.workerId() != null ? "UP worker " + worker.workerId() : "DOWN not registered with LiveKit");
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      worker.close();
      if (health != null) {
        health.close();
      }
      stop.countDown();
    }, "ingress-stop"));
    stop.await();
  }

  /**
   * The offline speech-to-text engine (provider {@code local}): Moonshine from {@code PARLEY_MOONSHINE_DIR}
   * (./parley setup fetches it), else PocketSphinx, with a line saying why.
   */
  static dev.parley.speech.SpeechToText offlineEars(String moonshineDir) {
    org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(IngressMain.class);
    if (moonshineDir == null || moonshineDir.isBlank()) {
      log.info("offline speech-to-text: PocketSphinx (PARLEY_MOONSHINE_DIR is not set; ./parley setup fetches Moonshine)");
      return new PocketSphinxStt();
    }
    try {
      dev.parley.speech.SpeechToText moonshine = new dev.parley.speech.MoonshineStt(java.nio.file.Path.of(moonshineDir));
      // ONNX Runtime's first run of a model is several times slower: pay it now, not on the first caller
      short[] hum = new short[16_000];
      for (int i = 0; i < hum.length; i++) {
        hum[i] = (short) (800 * Math.sin(2 * Math.PI * 220 * i / 16_000.0));
      }
      long start = System.nanoTime();
      moonshine.transcribe(hum);
      log.info("offline speech-to-text: Moonshine base from {} (warmed up in {} ms)", moonshineDir,
          (System.nanoTime() - start) / 1_000_000);
      return moonshine;
    } catch (IllegalStateException e) {
      log.warn("offline speech-to-text: PocketSphinx, since Moonshine cannot be used: {}", e.getMessage());
      return new PocketSphinxStt();
    }
  }
}
