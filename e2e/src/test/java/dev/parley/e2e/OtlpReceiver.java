package dev.parley.e2e;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An OTLP/HTTP trace receiver on loopback, as an OpenTelemetry Collector would take the services' spans:
 * {@code POST /v1/traces} with an {@code ExportTraceServiceRequest} in protobuf. It reads the fields a test needs by
 * their numbers in the OTLP protos (resource service name, trace id, span id, parent span id, name).
 */
final class OtlpReceiver implements AutoCloseable {
  /** One span as received. */
  record Span(String service, String traceId, String spanId, String parentSpanId, String name) {}

  private final HttpServer server;
  final List<Span> spans = new CopyOnWriteArrayList<>();

  OtlpReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext("/v1/traces", exchange -> {
      try (InputStream in = exchange.getRequestBody()) {
        read(in.readAllBytes());
        exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
        exchange.sendResponseHeaders(200, 0); // an empty ExportTraceServiceResponse
      } catch (RuntimeException e) {
        exchange.sendResponseHeaders(400, -1);
      } finally {
        exchange.close();
      }
    });
    server.start();
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void read(byte[] body) throws IOException {
    for (ByteString resourceSpans : fields(UnknownFieldSet.parseFrom(body), 1)) { // resource_spans
      UnknownFieldSet rs = UnknownFieldSet.parseFrom(resourceSpans);
      String service = "";
      for (ByteString resource : fields(rs, 1)) { // resource
        for (ByteString attribute : fields(UnknownFieldSet.parseFrom(resource), 1)) { // attributes: KeyValue
          UnknownFieldSet kv = UnknownFieldSet.parseFrom(attribute);
          if (text(kv, 1).equals("service.name")) {
            service = text(UnknownFieldSet.parseFrom(fields(kv, 2).get(0)), 1); // AnyValue.string_value
          }
        }
      }
      for (ByteString scopeSpans : fields(rs, 2)) { // scope_spans
        for (ByteString span : fields(UnknownFieldSet.parseFrom(scopeSpans), 2)) { // spans
          UnknownFieldSet s = UnknownFieldSet.parseFrom(span);
          spans.add(new Span(service, hex(s, 1), hex(s, 2), hex(s, 4), text(s, 5)));
        }
      }
    }
  }

  private static List<ByteString> fields(UnknownFieldSet message, int number) {
    return message.hasField(number) ? message.getField(number).getLengthDelimitedList() : List.of();
  }

  private static String text(UnknownFieldSet message, int number) {
    List<ByteString> values = fields(message, number);
    return values.isEmpty() ? "" : values.get(0).toStringUtf8();
  }

  private static String hex(UnknownFieldSet message, int number) {
    List<ByteString> values = fields(message, number);
    return values.isEmpty() ? "" : HexFormat.of().formatHex(values.get(0).toByteArray());
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
