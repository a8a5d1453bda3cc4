package dev.parley.processor;

import dev.parley.events.RoutedEvent;
import dev.parley.events.UserTurn;
import dev.parley.kit.Tracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.header.Headers;

/**
 * The trace of the turn each session is answering: its {@code answer} span continues the trace the routed record
 * carried, and every reply published meanwhile carries the span on to tts-egress.
 */
final class TurnTraces {
  private final String agentId;
  private final Map<String, Span> open = new ConcurrentHashMap<>();

  TurnTraces(String agentId) {
    this.agentId = agentId;
  }

  /** Opens the answer's span when {@code event} is a caller's turn; null otherwise. */
  Span begin(String session, Headers routed, RoutedEvent event) {
    if (!(event.getEvent() instanceof UserTurn turn)) {
      return null;
    }
    Span span = Tracing.span("answer", Tracing.from(routed), SpanKind.CONSUMER);
    span.setAttribute("parley.agent", agentId);
    span.setAttribute("parley.turn", turn.getTurnId());
    open.put(session, span);
    return span;
  }

  void end(String session, Span span) {
    if (span != null) {
      open.remove(session, span);
      span.end();
    }
  }

  /** Writes the session's open span, if any, into a reply's headers. */
  void into(String session, Headers reply) {
    Span span = open.get(session);
    if (span != null) {
      Tracing.into(span, reply);
    }
  }
}
