package dev.parley.processor;

import dev.parley.kit.HealthServer;
import dev.parley.kit.ServiceMetrics;
import dev.parley.kit.Settings;
import dev.parley.kit.Tracing;
import dev.parley.llm.Providers;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.CountDownLatch;

/** Starts llm-processor: one consumer group per served agent, /health and /metrics, stops on SIGTERM. */
public final class ProcessorMain {
  private ProcessorMain() {}

  public static void main(String[] args) throws InterruptedException {
    ProcessorConfig config;
    try {
      config = ProcessorConfig.from(Settings.fromEnvironment());
    } catch (IllegalStateException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    PrometheusMeterRegistry registry = ServiceMetrics.install("llm-processor");
    Tracing.install("llm-processor", System.getenv());
    Processor processor = new Processor(config, new Providers(config.llm()), new ProcessorMetrics(registry));
    processor.start();
    HealthServer server = config.healthPort() < 0 ? null
        : HealthServer.start("0.0.0.0", config.healthPort(), () -> "UP serving " + processor.agents())
            .serve("/metrics", registry::scrape);
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      processor.close();
      if (server != null) {
        server.close();
      }
      stop.countDown();
    }, "processor-stop"));
    stop.await();
  }
}
