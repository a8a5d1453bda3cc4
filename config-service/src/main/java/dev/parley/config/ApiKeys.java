package dev.parley.config;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** The Admin API's two roles: read-only and admin. Keys come as {@code Authorization: Bearer <key>} or {@code X-API-Key}. */
final class ApiKeys {
  enum Role { NONE, READ_ONLY, ADMIN }

  private final byte[] admin;
  private final byte[] readOnly;

  ApiKeys(String admin, String readOnly) {
    this.admin = admin.getBytes(StandardCharsets.UTF_8);
    this.readOnly = readOnly == null || readOnly.isBlank() ? null : readOnly.getBytes(StandardCharsets.UTF_8);
  }

  Role roleOf(Context ctx) {
    String key = ctx.header("X-API-Key");
    String auth = ctx.header("Authorization");
    if (key == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      key = auth.substring(7).strip();
    }
    if (key == null || key.isEmpty()) {
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
}
