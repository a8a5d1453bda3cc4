package dev.parley.toolrunner;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The example order desk: an order's answer, a sentence for an unknown one, the same answer again per key. */
class OrderDeskTest {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void answersAnOrderOrSaysItIsUnknownAndRepeatsAnAnswerForTheSameKey() throws Exception {
    try (OrderDesk desk = OrderDesk.start("127.0.0.1", 0)) {
      HttpResponse<String> known = get(desk, "4417", "k-1");
      assertThat(known.statusCode()).isEqualTo(200);
      assertThat(known.body()).contains("\"status\":\"shipped\"");
      HttpResponse<String> unknown = get(desk, "9999", "k-2");
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(unknown.body()).contains("There is no order 9999");

      assertThat(get(desk, "4417", "k-1")).satisfies(again -> {
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(known.body());
      });
      assertThat(get(desk, "9999", "k-2")).satisfies(again -> {
        assertThat(again.statusCode()).as("an unknown order stays unknown for its key").isEqualTo(404);
        assertThat(again.body()).isEqualTo(unknown.body());
      });
      // the key, not the order, decides: a repeated key gets its first answer
      assertThat(get(desk, "5521", "k-1").body()).isEqualTo(known.body());
    }
  }

  private HttpResponse<String> get(OrderDesk desk, String order, String key) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + desk.port() + "/orders/" + order))
        .header("Idempotency-Key", key).GET().build(), HttpResponse.BodyHandlers.ofString());
  }
}
