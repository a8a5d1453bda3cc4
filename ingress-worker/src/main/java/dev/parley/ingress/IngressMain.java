package dev.parley.ingress;

import dev.parley.kit.HealthServer;
import dev.parley.kit.ServiceMetrics;
import dev.parley.kit.Settings;
import dev.parley.kit.Tracing;
import dev.parley.speech.PocketSphinxStt;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.CountDownLatch;

/** Starts ingress-worker: registers with LiveKit as the Parley agent and serves the rooms it is given. */
public final class IngressMain {
  private IngressMain() {}

  public static void main(String[] args) throws InterruptedException {
    IngressConfig config;
    int healthPort;
    try {
      Settings settings = Settings.fromEnvironment();
      healthPort = settings.integer("PARLEY_INGRESS_HEALTH_PORT", -1, -1, 65535, "port of GET /health and GET /metrics (-1: off)");
      config = IngressConfig.from(settings);
      dev.parley.livekit.RoomParticipant.requireWebRtc();
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    PrometheusMeterRegistry metrics = ServiceMetrics.install("ingress-worker");
    Tracing.install("ingress-worker", System.getenv());
    dev.parley.speech.SpeechToText offline = offlineEars(System.getenv("PARLEY_MOONSHINE_DIR"));
    IngressWorker worker = new IngressWorker(config, offline, new dev.parley.speech.SpeechProviders(System.getenv(),
        null, offline), endOfTurn(System.getenv("PARLEY_SMART_TURN_MODEL")));
    worker.start();
    HealthServer health = healthPort < 0 ? null : HealthServer.start("0.0.0.0", healthPort,
        () -> worker.workerId() != null ? "UP worker " + worker.workerId() : "DOWN not registered with LiveKit")
        .serve("/metrics", metrics::scrape);
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
   * Smart Turn from {@code PARLEY_SMART_TURN_MODEL} (./parley setup fetches it), run once so that the first
   * caller does not pay ONNX Runtime's first call; null (silence alone ends a turn) with a line saying why.
   */
  static dev.parley.speech.TurnDetector.EndOfTurn endOfTurn(String model) {
    org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(IngressMain.class);
    if (model == null || model.isBlank()) {
      log.info("end of turn: after silence only (PARLEY_SMART_TURN_MODEL is not set; ./parley setup fetches Smart Turn)");
      return null;
    }
    try {
      dev.parley.speech.SmartTurn smartTurn = new dev.parley.speech.SmartTurn(java.nio.file.Path.of(model));
      long start = System.nanoTime();
      smartTurn.probability(new short[16_000]);
      log.info("end of turn: Smart Turn v3.2 judges each pause (warmed up in {} ms); silence still ends a turn after"
          + " the agent's endpointing_ms", (System.nanoTime() - start) / 1_000_000);
      return smartTurn::probability;
    } catch (IllegalStateException e) {
      log.warn("end of turn: after silence only, since Smart Turn cannot be used: {}", e.getMessage());
      return null;
    }
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
