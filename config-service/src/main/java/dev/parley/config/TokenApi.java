package dev.parley.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.FieldError;
import dev.parley.agentconfig.InvalidConfigException;
import dev.parley.livekit.CallerTokens;
import dev.parley.webapi.ApiHttp;
import dev.parley.webapi.ApiKeys;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Callers' LiveKit tokens: {@code POST /api/v1/livekit/token} and the seed system's {@code POST /api/livekit/token},
 * public but rate limited per address; a tenant's key puts its tenant into the caller's metadata.
 */
final class TokenApi {
  private static final Pattern ROOM = Pattern.compile("[A-Za-z0-9_.-]{1,128}");
  private final CallerTokens tokens;
  private final RateLimiter tokenLimiter;
  private final ApiKeys keys;
  private final String livekitUrl;

  TokenApi(CallerTokens tokens, RateLimiter tokenLimiter, ApiKeys keys, String livekitUrl) {
    this.tokens = tokens;
    this.tokenLimiter = tokenLimiter;
    this.keys = keys;
    this.livekitUrl = livekitUrl;
  }

  void register(Javalin app) {
    for (String path : List.of(ApiHttp.PREFIX + "/livekit/token", "/api/livekit/token")) {
      // callers' pages are served elsewhere (console, a customer's site): any origin may ask, as no cookie or
      // ambient credential is involved; the per-address rate limit still holds
      app.before(path, TokenApi::allowAnyOrigin);
      app.options(path, ctx -> ctx.status(204).header("Access-Control-Allow-Methods", "POST, OPTIONS")
          .header("Access-Control-Allow-Headers", "Content-Type, Authorization, X-API-Key")
          .header("Access-Control-Max-Age", "600"));
    }
    app.post(ApiHttp.PREFIX + "/livekit/token", this::token);
    app.post("/api/livekit/token", this::seedToken); // the seed system's frontend, unchanged
  }

  private static void allowAnyOrigin(Context ctx) {
    if (ctx.header("Origin") != null) {
      ctx.header("Access-Control-Allow-Origin", "*");
    }
  }

  private void token(Context ctx) {
    limitTokens(ctx);
    JsonNode body = ApiHttp.jsonBody(ctx);
    String room = ApiHttp.requiredText(body, "room_name", ROOM, "1-128 letters, digits, '.', '-' or '_'");
    String identity = ApiHttp.requiredText(body, "identity", ROOM, "1-128 letters, digits, '.', '-' or '_'");
    String name = body.hasNonNull("name") ? body.get("name").asText() : null;
    issue(ctx, room, identity, name, body.get("metadata"), "metadata");
  }

  /**
   * The seed system's token route, as its frontend calls it: {@code POST /api/livekit/token} with
   * {@code {"roomName", "userName", "metadata"}}, answered with {@code {"token", ...}}. The user name (spaces
   * and all) becomes the display name; the identity is a safe form of it plus a random suffix, so two
   * "John Doe"s never push each other out of a room.
   */
  void seedToken(Context ctx) {
    limitTokens(ctx);
    JsonNode body = ApiHttp.jsonBody(ctx);
    String room = ApiHttp.requiredText(body, "roomName", ROOM, "1-128 letters, digits, '.', '-' or '_'");
    JsonNode userName = body.get("userName");
    if (userName == null || !userName.isTextual() || userName.asText().isBlank() || userName.asText().length() > 128
        || userName.asText().chars().anyMatch(Character::isISOControl)) {
      throw new InvalidConfigException(new FieldError("userName", "is required: 1-128 characters, no control"
          + " characters"));
    }
    issue(ctx, room, identityFor(userName.asText()), userName.asText().strip(), body.get("metadata"), "metadata");
  }

  /** A LiveKit identity for a display name: lower case, runs of other characters as '-', a random suffix. */
  static String identityFor(String userName) {
    String safe = java.text.Normalizer.normalize(userName, java.text.Normalizer.Form.NFKD).toLowerCase(
        java.util.Locale.ROOT).replaceAll("[^a-z0-9_.]+", "-").replaceAll("^-+|-+$", "");
    if (safe.length() > 100) {
      safe = safe.substring(0, 100);
    }
    String suffix = java.util.HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(4)
        .putInt(java.util.concurrent.ThreadLocalRandom.current().nextInt()).array()).substring(0, 6);
    return (safe.isEmpty() ? "caller" : safe) + "-" + suffix;
  }

  private void limitTokens(Context ctx) {
    long wait = tokenLimiter.acquire(ctx.ip());
    if (wait > 0) {
      ctx.header("Retry-After", String.valueOf(wait));
      throw new ApiHttp.ApiError(429, "rate_limited", "too many token requests; retry in " + wait + " s");
    }
  }

  /**
   * Signs the token. The tenant: a tenant's key on the request puts its tenant into the metadata (a different
   * {@code tenant_id} there is refused); without a key, a claimed {@code tenant_id} is refused once tenant keys
   * are configured, so no caller can speak as a tenant it has no key of.
   */
  private void issue(Context ctx, String room, String identity, String name, JsonNode metadata, String field) {
    com.fasterxml.jackson.databind.node.ObjectNode object;
    if (metadata == null || metadata.isNull()) {
      object = AgentConfigJson.MAPPER.createObjectNode();
    } else if (metadata.isObject()) {
      object = ((com.fasterxml.jackson.databind.node.ObjectNode) metadata).deepCopy();
    } else if (metadata.isTextual()) {
      try {
        JsonNode parsed = AgentConfigJson.MAPPER.readTree(metadata.asText());
        if (parsed == null || !parsed.isObject()) {
          throw new InvalidConfigException(new FieldError(field, "must be a JSON object (or a string holding one)"));
        }
        object = (com.fasterxml.jackson.databind.node.ObjectNode) parsed;
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new InvalidConfigException(new FieldError(field, "is a string but not JSON: " + e.getOriginalMessage()));
      }
    } else {
      throw new InvalidConfigException(new FieldError(field, "must be a JSON object (or a string holding one)"));
    }
    String keyTenant = keys.tenantOf(ctx);
    JsonNode claimed = object.get("tenant_id");
    String claim = claimed == null || claimed.isNull() ? null : claimed.asText();
    if (keyTenant != null) {
      if (claim != null && !claim.equals(keyTenant)) {
        throw new ApiHttp.ApiError(403, "forbidden", "this key belongs to tenant '" + keyTenant + "', but " + field
            + ".tenant_id says '" + claim + "'");
      }
      object.put("tenant_id", keyTenant);
    } else if (claim != null && keys.hasTenantKeys()) {
      throw new ApiHttp.ApiError(401, "unauthorized", field + ".tenant_id '" + claim + "' needs that tenant's key"
          + " (Authorization: Bearer <key> or X-API-Key)");
    }
    String metadataJson = object.toString();
    if (metadataJson.length() > 16 * 1024) {
      throw new InvalidConfigException(new FieldError(field, "at most 16 KiB"));
    }
    CallerTokens.Issued issued = tokens.issue(room, identity, name, metadataJson);
    ctx.json(Map.of("token", issued.token(), "url", livekitUrl, "room_name", room, "identity", identity,
        "expires_at", issued.expiresAt().toString()));
  }
}
