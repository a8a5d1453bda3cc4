package dev.parley.webapi;

import dev.parley.kit.ServiceMetrics;
import io.javalin.Javalin;

/** {@code GET /metrics} on an HTTP API's own port: the figures {@link ServiceMetrics} holds, as Prometheus reads them. */
public final class MetricsRoute {
  private MetricsRoute() {}

  public static void serve(Javalin app) {
    app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(
        ServiceMetrics.scrape().orElse("# no metrics registry installed (embedded)\n")));
  }
}
