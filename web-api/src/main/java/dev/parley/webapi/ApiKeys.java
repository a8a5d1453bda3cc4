package dev.parley.webapi;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The API's two roles, read-only and admin, and tenants' token keys. Keys come as {@code Authorization: Bearer <key>}
 * or {@code X-API-Key}, compared in constant time.
 */
public final class ApiKeys {
  public enum Role { NONE, READ_ONLY, ADMIN }

  private final byte[] admin;
  private final byte[] readOnly;
  /** Tenant keys: only for asking for callers' tokens on that tenant's behalf (no Admin API role). */
  private final java.util.Map<String, byte[]> tenants;

  public ApiKeys(String admin, String readOnly) {
    this(admin, readOnly, java.util.Map.of());
  }

  public ApiKeys(String admin, String readOnly, java.util.Map<String, String> tenantKeys) {
    this.admin = admin.getBytes(StandardCharsets.UTF_8);
    this.readOnly = readOnly == null || readOnly.isBlank() ? null : readOnly.getBytes(StandardCharsets.UTF_8);
    java.util.Map<String, byte[]> keys = new java.util.LinkedHashMap<>();
    tenantKeys.forEach((tenant, key) -> keys.put(tenant, key.getBytes(StandardCharsets.UTF_8)));
    this.tenants = java.util.Map.copyOf(keys);
  }

  public boolean hasTenantKeys() {
    return !tenants.isEmpty();
  }

  /** The tenant whose key the request carries, or null. */
  public String tenantOf(Context ctx) {
    String key = keyOf(ctx);
    if (key == null) {
      return null;
    }
    byte[] given = key.getBytes(StandardCharsets.UTF_8);
    return tenants.entrySet().stream().filter(e -> MessageDigest.isEqual(given, e.getValue()))
        .map(java.util.Map.Entry::getKey).findFirst().orElse(null);
  }

  private static String keyOf(Context ctx) {
    String key = ctx.header("X-API-Key");
    String auth = ctx.header("Authorization");
    if (key == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      key = auth.substring(7).strip();
    }
    return key == null || key.isEmpty() ? null : key;
  }

  public Role roleOf(Context ctx) {
    String key = keyOf(ctx);
    if (key == null) {
      return Role.NONE;
    }
    byte[] given = key.getBytes(StandardCharsets.UTF_8);
    if (MessageDigest.isEqual(given, admin)) {
      return Role.ADMIN;
    }
    if (readOnly != null && MessageDigest.isEqual(given, readOnly)) {
      return Role.READ_ONLY;
    }
    return Role.NONE;
  }

  /** Lets a request through with the {@code needed} role, or answers 401 (no key) or 403 (read-only key). */
  public void require(Context ctx, Role needed) {
    Role role = roleOf(ctx);
    if (role == Role.NONE) {
      throw new ApiHttp.ApiError(401, "unauthorized", "an API key is required (Authorization: Bearer <key> or"
          + " X-API-Key)");
    }
    if (needed == Role.ADMIN && role != Role.ADMIN) {
      throw new ApiHttp.ApiError(403, "forbidden", "this key is read-only; changes need the admin key");
    }
  }
}
