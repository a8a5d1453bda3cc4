package dev.parley.egress;

import dev.parley.kit.HealthServer;
import dev.parley.kit.ServiceMetrics;
import dev.parley.kit.Settings;
import dev.parley.kit.Tracing;
import dev.parley.speech.FreeTtsTts;
import dev.parley.speech.SpeechProviders;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.CountDownLatch;

/** Starts tts-egress: the agent's voice in every live session's room. */
public final class EgressMain {
  private EgressMain() {}

  public static void main(String[] args) throws InterruptedException {
    EgressConfig config;
    int healthPort;
    try {
      Settings settings = Settings.fromEnvironment();
      healthPort = settings.integer("PARLEY_EGRESS_HEALTH_PORT", -1, -1, 65535, "port of GET /health and GET /metrics (-1: off)");
      config = EgressConfig.from(settings);
      dev.parley.livekit.RoomParticipant.requireWebRtc();
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    // FreeTTS, in-process, is the last resort; agents that name no voice speak with the default offline voice
    PrometheusMeterRegistry metrics = ServiceMetrics.install("tts-egress");
    Tracing.install("tts-egress", System.getenv());
    SpeechProviders providers = new SpeechProviders(System.getenv(), new FreeTtsTts(), null);
    EgressService service = new EgressService(config, providers.defaultVoice(), providers);
    Thread thread = new Thread(service, "egress");
    thread.start();
    HealthServer health = healthPort < 0 ? null : HealthServer.start("0.0.0.0", healthPort,
        () -> thread.isAlive() ? "UP" : "DOWN consumer stopped").serve("/metrics", metrics::scrape);
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
