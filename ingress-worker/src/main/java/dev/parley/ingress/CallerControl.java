package dev.parley.ingress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * What a caller's page may ask of the call on the data topic {@value #TOPIC}: {@code {"type":"end_session"}} ends it
 * (the agent then summarizes the session). Anything else is not a request.
 */
final class CallerControl {
  static final String TOPIC = "parley-control";
  private static final ObjectMapper JSON = new ObjectMapper();

  enum Request { END_SESSION, NONE, UNREADABLE }

  private CallerControl() {}

  static Request of(String topic, byte[] payload) {
    if (!TOPIC.equals(topic)) {
      return Request.NONE;
    }
    try {
      JsonNode message = JSON.readTree(payload);
      return message != null && "end_session".equals(message.path("type").asText()) ? Request.END_SESSION
          : Request.NONE;
    } catch (IOException e) {
      return Request.UNREADABLE;
    }
  }
}
