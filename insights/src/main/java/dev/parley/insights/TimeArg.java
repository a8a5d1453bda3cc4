package dev.parley.insights;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A point in time on the command line: {@code now}, a relative {@code -2h}/{@code -30m}/{@code -7d},
 * an ISO instant {@code 2026-11-25T10:00:00Z}, a local date-time (UTC) or a date (its midnight, UTC).
 */
public final class TimeArg {
  private static final Pattern RELATIVE = Pattern.compile("-(\\d+)([smhd])");

  private TimeArg() {}

  public static Instant parse(String raw, Instant now) {
    String value = raw.strip();
    if (value.equalsIgnoreCase("now")) {
      return now;
    }
    Matcher m = RELATIVE.matcher(value);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      return now.minus(d);
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException ignored) {
      // try the next form
    }
    try {
      return LocalDateTime.parse(value).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException ignored) {
      // try the next form
    }
    try {
      return LocalDate.parse(value).atStartOfDay().toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + raw + "' is not a time: use now, -2h, -30m, -7d, 2026-11-25,"
          + " 2026-11-25T10:00 (UTC) or 2026-11-25T10:00:00Z");
    }
  }
}
