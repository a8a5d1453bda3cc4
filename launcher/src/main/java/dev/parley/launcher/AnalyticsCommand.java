package dev.parley.launcher;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.insights.Analytics;
import dev.parley.insights.AnalyticsReport;
import dev.parley.insights.Progress;
import dev.parley.insights.SessionLog;
import dev.parley.insights.TimeArg;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code parley analytics}: per-agent figures over a time range of the topics. */
@Command(name = "analytics", mixinStandardHelpOptions = true,
    description = "Per agent: sessions, turns, outcomes from the structured fields, latency percentiles per stage.")
final class AnalyticsCommand implements Callable<Integer> {
  @Option(names = "--from", description = "start (now, -2h, -7d, 2026-11-25, ISO instant; default: ${DEFAULT-VALUE})")
  String from = "-1d";

  @Option(names = "--to", description = "end, exclusive (default: ${DEFAULT-VALUE})")
  String to = "now";

  @Option(names = "--agent", split = ",", description = "only these agents (comma-separated)")
  List<String> agents = List.of();

  @Option(names = "--format", description = "json, csv or html (default: ${DEFAULT-VALUE})")
  Format format = Format.json;

  @Option(names = "--lateness", description = "minutes an event may be written after its time (default:"
      + " ${DEFAULT-VALUE})")
  int latenessMinutes = 5;

  @Mixin
  ReadOptions io;

  @Override
  public Integer call() throws Exception {
    Instant now = Instant.now();
    Analytics.Options options = new Analytics.Options(TimeArg.parse(from, now), TimeArg.parse(to, now),
        new LinkedHashSet<>(agents), Duration.ofMinutes(latenessMinutes));
    ObjectNode report;
    try (SessionLog log = new SessionLog(io.bootstrap)) {
      report = Analytics.run(log, options, new Progress(io.stderr, "analytics", 1000));
    }
    String content = switch (format) {
      case json -> report.toPrettyString() + "\n";
      case csv -> AnalyticsReport.toCsv(report);
      case html -> AnalyticsReport.toHtml(report);
    };
    io.write(content);
    return 0;
  }

  enum Format { json, csv, html }
}
