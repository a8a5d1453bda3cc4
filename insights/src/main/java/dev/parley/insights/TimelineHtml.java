package dev.parley.insights;

import dev.parley.events.RoutingDecision;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionStarted;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The HTML page of one session's timeline. */
final class TimelineHtml {
  private TimelineHtml() {}

  static String render(SessionTimeline timeline, SessionStarted started, SessionEnded ended,
      List<RoutingDecision> decisions, int speechStarts, dev.parley.events.SessionSummary summary) {
    StringBuilder b = new StringBuilder();
    b.append("<h1>Session ").append(Html.escape(timeline.sessionId())).append("</h1>\n");
    if (started != null) {
      b.append("<p class=\"muted\">room <code>").append(Html.escape(started.getRoomName())).append("</code>, caller <code>")
          .append(Html.escape(started.getParticipantIdentity())).append("</code>")
          .append(started.getTenantId() == null ? "" : ", tenant <code>" + Html.escape(started.getTenantId()) + "</code>")
          .append(", started ").append(Html.escape(started.getStartedAt())).append("<br>room metadata <code>")
          .append(Html.escape(started.getRoomMetadata())).append("</code></p>\n");
    }
    for (RoutingDecision d : decisions) {
      b.append("<p>Routed to <b>").append(Html.escape(d.getAgentId())).append("</b> v").append(d.getConfigVersion())
          .append(" <span class=\"muted\">(").append(Html.escape(d.getStrategy())).append(' ')
          .append(Html.escape(d.getRuleId())).append(": ").append(Html.escape(d.getReason())).append(")</span></p>\n");
    }
    if (ended != null) {
      b.append("<p class=\"muted\">Ended ").append(Html.escape(ended.getEndedAt())).append(" (")
          .append(Html.escape(ended.getReason())).append(")</p>\n");
    }
    if (summary != null) {
      b.append("<h2>Summary</h2>\n<p>").append(Html.escape(summary.getSummary())).append("</p>\n<p class=\"muted\">final"
          + " fields <code>").append(Html.escape(summary.getFinalFields())).append("</code></p>\n");
    }
    b.append("<p class=\"muted\">").append(timeline.userTurns().size()).append(" caller turns, ")
        .append(speechStarts).append(" times the caller started speaking</p>\n<h2>Turns</h2>\n");
    if (timeline.turns().isEmpty()) {
      b.append("<p>No turns yet.</p>\n");
    }
    for (SessionTimeline.Turn t : timeline.turns()) {
      b.append("<div class=\"turn\"><h3>").append(t.user() == null ? "Greeting" : "Turn " + t.user().getTurnIndex())
          .append(" <span class=\"muted\">").append(Html.escape(t.turnId())).append("</span></h3>\n");
      if (t.user() != null) {
        b.append("<p class=\"caller\"><b>Caller:</b> ").append(Html.escape(t.user().getTranscript())).append("</p>\n");
      }
      if (t.agent() != null) {
        b.append("<p class=\"agent\"><b>Agent:</b> ").append(Html.escape(t.agent().getSystemResponse())).append("</p>\n");
        if (t.agent().getOutcome() != dev.parley.events.TurnOutcome.OK) {
          b.append("<p class=\"warn\">").append(Html.escape(t.agent().getOutcome())).append(": ")
              .append(Html.escape(t.agent().getFallbackReason())).append("</p>\n");
        }
        if (t.fields().size() > 0) {
          b.append("<table><tr><th>field</th><th>value</th></tr>");
          t.fields().fields().forEachRemaining(f -> b.append("<tr><td>").append(Html.escape(f.getKey()))
              .append("</td><td>").append(Html.escape(f.getValue().isTextual() ? f.getValue().asText()
                  : f.getValue().toString())).append("</td></tr>"));
          b.append("</table>\n");
        }
      }
      if (t.interrupted()) {
        b.append("<p class=\"warn\">Interrupted by the caller. Heard: \"")
            .append(Html.escape(t.playbackEndHeard())).append("\"; not heard: \"")
            .append(Html.escape(t.playbackEndUnheard())).append("\"</p>\n");
      }
      Map<Stage, Long> stages = t.stages();
      if (!stages.isEmpty()) {
        List<Html.Bar> bars = new ArrayList<>();
        stages.forEach((stage, ms) -> bars.add(new Html.Bar(stage.key, ms, ms + " ms")));
        b.append(Html.barChart("stages (ms)", bars, 0)).append('\n');
      }
      b.append("</div>\n");
    }
    b.append("<h2>Events</h2>\n<table><tr><th>+ms</th><th>at</th><th>topic</th><th>event</th></tr>\n");
    long t0 = timeline.events().isEmpty() ? 0 : timeline.events().get(0).timestamp();
    for (Recorded r : timeline.events()) {
      b.append("<tr><td class=\"num\">").append(r.timestamp() - t0).append("</td><td>")
          .append(Instant.ofEpochMilli(r.timestamp())).append("</td><td>").append(Html.escape(r.topic()))
          .append("</td><td>").append(Html.escape(SessionTimeline.describe(r))).append("</td></tr>\n");
    }
    b.append("</table>");
    return Html.page("Parley session " + timeline.sessionId(), b.toString());
  }
}
