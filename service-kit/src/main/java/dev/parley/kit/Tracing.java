package dev.parley.kit;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One trace per caller turn across the pipeline: each stage opens its span as a child of the one whose record it read,
 * and writes its own span's W3C trace context ({@code traceparent}) into the headers of the records it produces, so the
 * spans of ingress-worker, router-stream, llm-processor and tts-egress join in one trace. Exported over OTLP when the
 * standard {@code OTEL_EXPORTER_OTLP_ENDPOINT} is set ({@code OTEL_*} variables configure the rest); otherwise every
 * call here is a no-op that costs a few allocations.
 */
public final class Tracing {
  private static final Logger log = LoggerFactory.getLogger(Tracing.class);
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static volatile Tracer tracer = OpenTelemetry.noop().getTracer("parley");
  private static volatile Runnable shutdown = () -> { };

  private static final TextMapGetter<Headers> FROM_HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Headers headers) {
      List<String> keys = new ArrayList<>();
      headers.forEach(h -> keys.add(h.key()));
      return keys;
    }

    @Override
    public String get(Headers headers, String key) {
      Header header = headers == null ? null : headers.lastHeader(key);
      return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
  };
  private static final TextMapSetter<Headers> INTO_HEADERS = (headers, key, value) -> {
    headers.remove(key);
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  };

  private Tracing() {}

  /**
   * Sets up tracing for {@code service} from the environment: with {@code OTEL_EXPORTER_OTLP_ENDPOINT} set, spans go
   * there over OTLP (http/protobuf unless {@code OTEL_EXPORTER_OTLP_PROTOCOL} says otherwise); without it, nothing.
   */
  public static void install(String service, Map<String, String> env) {
    String endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT");
    if (endpoint == null || endpoint.isBlank()) {
      return;
    }
    Map<String, String> properties = new java.util.HashMap<>();
    env.forEach((key, value) -> { // the standard OTEL_* variables, as the SDK's properties
      if (key.startsWith("OTEL_")) {
        properties.put(key.toLowerCase(java.util.Locale.ROOT).replace('_', '.'), value);
      }
    });
    properties.putIfAbsent("otel.service.name", service);
    properties.putIfAbsent("otel.exporter.otlp.protocol", "http/protobuf");
    properties.put("otel.metrics.exporter", "none"); // metrics are Prometheus' (/metrics), logs stay in the log
    properties.put("otel.logs.exporter", "none");
    var sdk = AutoConfiguredOpenTelemetrySdk.builder().addPropertiesSupplier(() -> properties)
        .disableShutdownHook().build().getOpenTelemetrySdk();
    tracer = sdk.getTracer("parley");
    shutdown = () -> sdk.getSdkTracerProvider().shutdown().join(5, TimeUnit.SECONDS);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown.run(), "tracing-flush"));
    log.info("traces of each turn go to {} over OTLP as service '{}'", endpoint,
        env.getOrDefault("OTEL_SERVICE_NAME", service));
  }

  /** Back to no tracing, the exporter flushed and stopped (tests). */
  static void uninstall() {
    shutdown.run();
    shutdown = () -> { };
    tracer = OpenTelemetry.noop().getTracer("parley");
  }

  /** The trace context a record carries in its headers (the root context when it carries none). */
  public static Context from(Headers headers) {
    return headers == null ? Context.root() : W3C.extract(Context.root(), headers, FROM_HEADERS);
  }

  /** The id of the trace a record was written in (its W3C {@code traceparent} header), or null when it has none. */
  public static String traceId(Headers headers) {
    io.opentelemetry.api.trace.SpanContext context = Span.fromContext(from(headers)).getSpanContext();
    return context.isValid() ? context.getTraceId() : null;
  }

  /** Writes {@code span}'s trace context into {@code headers}, so the stage reading the record continues the trace. */
  public static void into(Span span, Headers headers) {
    if (span.getSpanContext().isValid()) {
      W3C.inject(Context.root().with(span), headers, INTO_HEADERS);
    }
  }

  /** A span that began at {@code startedAt} (a turn's stages begin before the code that records them runs). */
  public static Span span(String name, Context parent, Instant startedAt, SpanKind kind) {
    return tracer.spanBuilder(name).setParent(parent).setSpanKind(kind)
        .setStartTimestamp(startedAt.toEpochMilli(), TimeUnit.MILLISECONDS).startSpan();
  }

  /** A span beginning now. */
  public static Span span(String name, Context parent, SpanKind kind) {
    return tracer.spanBuilder(name).setParent(parent).setSpanKind(kind).startSpan();
  }
}
