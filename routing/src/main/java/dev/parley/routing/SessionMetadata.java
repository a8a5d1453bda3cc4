package dev.parley.routing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What routing reads from a session: room and participant metadata (JSON, participant wins field by
 * field) and participant attributes. Anything malformed is ignored and noted in {@link #problems()},
 * so the routing decision can say why it fell back.
 *
 * @param agentId     explicit {@code agent_id}, or null
 * @param purpose     {@code purpose}, lower-cased, or null
 * @param userId      {@code user_id}, or null
 * @param userDetails {@code user_details} flattened to strings (e.g. is_new_user=true, tier=premium)
 * @param attributes  LiveKit participant attributes
 * @param problems    what was ignored and why
 * @param tenantId    the caller's tenant ({@code tenant_id} in the metadata, or as the session says), or null
 */
public record SessionMetadata(String agentId, String purpose, String userId, Map<String, String> userDetails,
    Map<String, String> attributes, List<String> problems, String tenantId) {

  /** Metadata larger than this is ignored: LiveKit allows 64 KiB, routing needs a few fields. */
  public static final int MAX_METADATA_BYTES = 16 * 1024;
  static final int MAX_VALUE_CHARS = 256;
  private static final ObjectMapper JSON = new ObjectMapper();

  public SessionMetadata {
    userDetails = Map.copyOf(userDetails);
    attributes = Map.copyOf(attributes);
    problems = List.copyOf(problems);
  }

  public static SessionMetadata empty() {
    return new SessionMetadata(null, null, null, Map.of(), Map.of(), List.of(), null);
  }

  /** Parses raw LiveKit metadata; never throws. */
  public static SessionMetadata parse(String roomMetadata, String participantMetadata, Map<String, String> attributes) {
    Builder builder = new Builder();
    builder.read("room metadata", roomMetadata);
    builder.read("participant metadata", participantMetadata);
    Map<String, String> attrs = new LinkedHashMap<>();
    if (attributes != null) {
      attributes.forEach((k, v) -> {
        if (k != null && v != null && v.length() <= MAX_VALUE_CHARS) {
          attrs.put(k, v);
        }
      });
    }
    // Attributes may carry the routing fields too (LiveKit agents often set them there).
    builder.fallback("agent_id", attrs.get("agent_id"));
    builder.fallback("purpose", attrs.get("purpose"));
    builder.fallback("user_id", attrs.get("user_id"));
    builder.fallback("tenant_id", attrs.get("tenant_id"));
    return new SessionMetadata(builder.agentId, builder.purpose == null ? null
        : builder.purpose.toLowerCase(Locale.ROOT), builder.userId, builder.details, attrs, builder.problems,
        builder.tenantId);
  }

  /** The same metadata for a session whose tenant is known otherwise (the session event, the request): it wins. */
  public SessionMetadata withTenant(String tenant) {
    return tenant == null || tenant.isBlank() ? this
        : new SessionMetadata(agentId, purpose, userId, userDetails, attributes, problems, tenant);
  }

  /** A user detail or, failing that, a participant attribute. */
  public String attribute(String name) {
    String detail = userDetails.get(name);
    return detail != null ? detail : attributes.get(name);
  }

  private static final class Builder {
    String agentId;
    String purpose;
    String userId;
    String tenantId;
    final Map<String, String> details = new LinkedHashMap<>();
    final List<String> problems = new ArrayList<>();

    void read(String what, String raw) {
      if (raw == null || raw.isBlank()) {
        return;
      }
      int bytes = raw.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_METADATA_BYTES) {
        problems.add(what + " is " + bytes + " bytes, over the " + MAX_METADATA_BYTES + "-byte limit; ignored");
        return;
      }
      JsonNode node;
      try {
        node = JSON.readTree(raw);
      } catch (JsonProcessingException e) {
        problems.add(what + " is not JSON; ignored");
        return;
      }
      if (node == null || !node.isObject()) {
        problems.add(what + " is not a JSON object; ignored");
        return;
      }
      agentId = text(what, node, "agent_id", agentId);
      purpose = text(what, node, "purpose", purpose);
      userId = text(what, node, "user_id", userId);
      tenantId = text(what, node, "tenant_id", tenantId);
      JsonNode userDetails = node.get("user_details");
      if (userDetails != null && !userDetails.isNull()) {
        if (userDetails.isObject()) {
          userDetails.fields().forEachRemaining(f -> {
            if (f.getValue().isValueNode() && f.getValue().asText().length() <= MAX_VALUE_CHARS) {
              details.put(f.getKey(), f.getValue().asText());
            }
          });
        } else {
          problems.add(what + ": user_details is not an object; ignored");
        }
      }
    }

    private String text(String what, JsonNode node, String field, String current) {
      JsonNode value = node.get(field);
      if (value == null || value.isNull()) {
        return current;
      }
      if (!value.isTextual() || value.asText().isBlank()) {
        problems.add(what + ": " + field + " is not a non-empty string; ignored");
        return current;
      }
      if (value.asText().length() > MAX_VALUE_CHARS) {
        problems.add(what + ": " + field + " is longer than " + MAX_VALUE_CHARS + " characters; ignored");
        return current;
      }
      return value.asText().strip();
    }

    void fallback(String field, String value) {
      if (value == null || value.isBlank()) {
        return;
      }
      switch (field) {
        case "agent_id" -> agentId = agentId == null ? value.strip() : agentId;
        case "purpose" -> purpose = purpose == null ? value.strip() : purpose;
        case "user_id" -> userId = userId == null ? value.strip() : userId;
        case "tenant_id" -> tenantId = tenantId == null ? value.strip() : tenantId;
        default -> throw new IllegalArgumentException(field);
      }
    }
  }
}
