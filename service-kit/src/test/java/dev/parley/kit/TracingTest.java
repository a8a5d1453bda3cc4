package dev.parley.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** A turn's trace context through Kafka record headers, and spans exported over OTLP/HTTP only when asked. */
class TracingTest {

  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

  @Test
  void aRecordsTraceIdIsReadFromItsW3cTraceparentHeader() {
    assertThat(Tracing.traceId(traceparent("00-" + TRACE + "-00f067aa0ba902b7-01"))).isEqualTo(TRACE);
  }

  @Test
  void malformedOrInvalidTraceparentsGiveNoTraceId() {
    assertThat(Tracing.traceId(null)).isNull();
    assertThat(Tracing.traceId(new RecordHeaders())).isNull();
    assertThat(Tracing.traceId(traceparent(""))).isNull();
    assertThat(Tracing.traceId(traceparent("not-a-trace"))).isNull();
    assertThat(Tracing.traceId(traceparent("00-" + TRACE.toUpperCase() + "-00f067aa0ba902b7-01")))
        .as("W3C ids are lower case").isNull();
    assertThat(Tracing.traceId(traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01")))
        .as("the invalid id").isNull();
    assertThat(Tracing.traceId(traceparent("00-" + TRACE.substring(1) + "-00f067aa0ba902b7-01"))).isNull();
  }

  private static RecordHeaders traceparent(String value) {
    RecordHeaders headers = new RecordHeaders();
    headers.add("traceparent", value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return headers;
  }

  @Test
  void withoutAnEndpointNothingIsTracedAndNoHeaderIsWritten() {
    RecordHeaders headers = new RecordHeaders();
    Span span = Tracing.span("caller turn", Context.root(), SpanKind.PRODUCER);
    Tracing.into(span, headers);
    assertThat(headers.toArray()).isEmpty();
    assertThat(Span.fromContext(Tracing.from(headers)).getSpanContext().isValid()).isFalse();
    assertThat(Span.fromContext(Tracing.from(null)).getSpanContext().isValid()).isFalse();
  }

  @Test
  void aSpanWrittenIntoHeadersIsTheParentOfTheNextStagesSpanAndBothAreExported() throws Exception {
    AtomicInteger posts = new AtomicInteger();
    HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
    collector.createContext("/v1/traces", exchange -> {
      exchange.getRequestBody().readAllBytes();
      posts.incrementAndGet();
      exchange.sendResponseHeaders(200, 0);
      exchange.close();
    });
    collector.start();
    try {
      Tracing.install("test-service", Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:"
          + collector.getAddress().getPort(), "OTEL_BSP_SCHEDULE_DELAY", "50"));
      RecordHeaders headers = new RecordHeaders();
      Span turn = Tracing.span("caller turn", Context.root(), Instant.now().minusMillis(300), SpanKind.PRODUCER);
      Tracing.into(turn, headers);
      turn.end();
      String traceparent = new String(headers.lastHeader("traceparent").value(), StandardCharsets.UTF_8);
      assertThat(traceparent).startsWith("00-" + turn.getSpanContext().getTraceId() + "-"
          + turn.getSpanContext().getSpanId() + "-"); // then the flags: sampled

      Span route = Tracing.span("route", Tracing.from(headers), SpanKind.CONSUMER);
      route.end();
      assertThat(route.getSpanContext().getTraceId()).isEqualTo(turn.getSpanContext().getTraceId());
      assertThat(route.getSpanContext().getSpanId()).isNotEqualTo(turn.getSpanContext().getSpanId());
      await().atMost(Duration.ofSeconds(10)).until(() -> posts.get() > 0);
    } finally {
      Tracing.uninstall();
      collector.stop(0);
    }
  }
}
