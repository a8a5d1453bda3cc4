package dev.parley.insights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders an analytics report (the JSON of {@link Analytics#run}) as CSV or a self-contained HTML page. */
public final class AnalyticsReport {
  private AnalyticsReport() {}

  /** One row per figure: {@code agent_id,metric,value}, metric a dotted path such as {@code fields.sentiment.distribution.negative}. */
  public static String toCsv(ObjectNode report) {
    StringBuilder out = new StringBuilder("agent_id,metric,value\n");
    for (JsonNode agent : report.get("agents")) {
      String id = agent.get("agent_id").asText();
      flatten(agent, "", (metric, value) -> {
        if (!metric.equals("agent_id")) {
          out.append(csv(id)).append(',').append(csv(metric)).append(',').append(csv(value)).append('\n');
        }
      });
    }
    return out.toString();
  }

  private static void flatten(JsonNode node, String prefix, java.util.function.BiConsumer<String, String> sink) {
    if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        if (!prefix.isEmpty() && prefix.startsWith("highlights")) {
          continue;
        }
        flatten(f.getValue(), prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey(), sink);
      }
    } else if (node.isArray()) {
      for (JsonNode item : node) {
        if (item.has("stage")) { // funnel rows
          sink.accept(prefix + "." + item.get("stage").asText() + ".sessions", item.get("sessions").asText());
          sink.accept(prefix + "." + item.get("stage").asText() + ".rate", item.get("rate").asText());
        }
      }
    } else {
      sink.accept(prefix, node.asText());
    }
  }

  private static String csv(String value) {
    if (value.contains(",") || value.contains("\"") || value.contains("\n")) {
      return "\"" + value.replace("\"", "\"\"") + "\"";
    }
    return value;
  }

  /** A self-contained page: headline cards, inline SVG charts of the fields, and a latency table per agent. */
  public static String toHtml(ObjectNode report) {
    StringBuilder b = new StringBuilder();
    b.append("<h1>Parley analytics</h1>\n<p class=\"muted\">").append(Html.escape(report.get("from").asText()))
        .append(" to ").append(Html.escape(report.get("to").asText())).append(" · ")
        .append(String.format(Locale.ROOT, "%,d", report.get("events_read").asLong())).append(" events read · ")
        .append(report.get("sessions").asInt()).append(" sessions")
        .append(report.get("undecodable_records").asLong() > 0 ? " · " + report.get("undecodable_records").asLong()
            + " undecodable records skipped" : "").append("</p>\n");
    if (report.get("agents").isEmpty()) {
      b.append("<p>No sessions in this range.</p>\n");
    }
    for (JsonNode agent : report.get("agents")) {
      b.append("<h2>").append(Html.escape(agent.get("agent_id").asText()))
          .append(agent.has("name") ? " <span class=\"muted\">" + Html.escape(agent.get("name").asText()) + "</span>" : "")
          .append("</h2>\n<div class=\"cards\">");
      card(b, "sessions", agent.get("sessions").asText());
      card(b, "turns per session", agent.at("/turns_per_session/mean").asText());
      card(b, "fallback rate", percent(agent.get("fallback_rate").asDouble()));
      card(b, "interruption rate", percent(agent.get("interruption_rate").asDouble()));
      card(b, "escalated sessions", percent(agent.path("escalation_rate").asDouble()));
      agent.get("highlights").fields().forEachRemaining(h -> {
        if (h.getValue().isNumber()) {
          card(b, h.getKey(), h.getKey().endsWith("rate") ? percent(h.getValue().asDouble()) : h.getValue().asText());
        }
      });
      b.append("</div>\n<div class=\"charts\">");
      agent.get("fields").fields().forEachRemaining(f -> chartsOf(b, f.getKey(), f.getValue()));
      b.append("</div>\n");
      JsonNode latency = agent.get("latency_ms");
      if (latency.size() > 0) {
        b.append("<h3>Latency per stage (ms)</h3><table><tr><th>stage</th><th>count</th><th>p50</th><th>p90</th>"
            + "<th>p99</th><th>max</th></tr>");
        List<Html.Bar> bars = new ArrayList<>();
        for (Stage stage : Stage.values()) {
          JsonNode s = latency.get(stage.key);
          if (s == null) {
            continue;
          }
          b.append("<tr><td>").append(Html.escape(stage.label)).append("</td>");
          for (String k : List.of("count", "p50", "p90", "p99", "max")) {
            b.append("<td class=\"num\">").append(s.get(k).asLong()).append("</td>");
          }
          b.append("</tr>");
          bars.add(new Html.Bar(stage.key + " p50", s.get("p50").asLong(), s.get("p50").asLong() + " ms"));
          bars.add(new Html.Bar(stage.key + " p99", s.get("p99").asLong(), s.get("p99").asLong() + " ms"));
        }
        b.append("</table>\n").append(Html.barChart("latency p50 / p99 (ms)", bars, 0)).append('\n');
      }
    }
    return Html.page("Parley analytics", b.toString());
  }

  private static void chartsOf(StringBuilder b, String field, JsonNode stats) {
    if (stats.has("funnel")) {
      List<Html.Bar> bars = new ArrayList<>();
      stats.get("funnel").forEach(s -> bars.add(new Html.Bar(s.get("stage").asText(), s.get("sessions").asDouble(),
          s.get("sessions").asText() + " (" + percent(s.get("rate").asDouble()) + ")")));
      b.append("<div>").append(Html.barChart(field + ": sessions reaching each stage", bars, 0)).append("</div>");
    } else if (stats.has("distribution")) {
      List<Html.Bar> bars = new ArrayList<>();
      stats.get("distribution").fields().forEachRemaining(d -> bars.add(new Html.Bar(d.getKey(), d.getValue().asDouble(),
          d.getValue().asText())));
      b.append("<div>").append(Html.barChart(field + " (final value per session)", bars, 0)).append("</div>");
    }
    if (stats.has("rate")) {
      List<Html.Bar> bars = List.of(new Html.Bar("true", stats.get("true").asDouble(), stats.get("true").asText()),
          new Html.Bar("false", stats.get("false").asDouble(), stats.get("false").asText()));
      b.append("<div>").append(Html.barChart(field + ": " + percent(stats.get("rate").asDouble()) + " true", bars, 0))
          .append("</div>");
    }
    if (stats.has("mean")) {
      List<Html.Bar> bars = List.of(new Html.Bar("min", stats.get("min").asDouble(), stats.get("min").asText()),
          new Html.Bar("p50", stats.get("p50").asDouble(), stats.get("p50").asText()),
          new Html.Bar("mean", stats.get("mean").asDouble(), stats.get("mean").asText()),
          new Html.Bar("max", stats.get("max").asDouble(), stats.get("max").asText()));
      b.append("<div>").append(Html.barChart(field, bars, 0)).append("</div>");
    }
    if (stats.has("items")) {
      List<Html.Bar> bars = new ArrayList<>();
      stats.get("items").fields().forEachRemaining(d -> bars.add(new Html.Bar(d.getKey(), d.getValue().asDouble(),
          d.getValue().asText())));
      b.append("<div>").append(Html.barChart(field + " (items mentioned)", bars, 0)).append("</div>");
    }
  }

  private static void card(StringBuilder b, String label, String value) {
    b.append("<div class=\"card\"><b>").append(Html.escape(value)).append("</b><span class=\"muted\">")
        .append(Html.escape(label)).append("</span></div>");
  }

  private static String percent(double rate) {
    return String.format(Locale.ROOT, "%.1f%%", rate * 100);
  }
}
