package dev.parley.kit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Typed settings read from the environment, each key declared once with its default, doc and
 * validation. Problems are collected and reported together, naming every bad key, so a service
 * fails fast at start-up with one clear message.
 */
public final class Settings {
  private final Map<String, String> source;
  private final List<String> problems = new ArrayList<>();
  private final Map<String, String> docs = new LinkedHashMap<>();

  public Settings(Map<String, String> source) {
    this.source = Objects.requireNonNull(source);
  }

  public static Settings fromEnvironment() {
    return new Settings(System.getenv());
  }

  /** A string, or {@code defaultValue} when unset or blank. */
  public String string(String key, String defaultValue, String doc) {
    docs.put(key, doc + (defaultValue == null ? " (required)" : " (default: " + defaultValue + ")"));
    String value = source.get(key);
    if (value == null || value.isBlank()) {
      if (defaultValue == null) {
        problems.add(key + ": is required (" + doc + ")");
      }
      return defaultValue;
    }
    return value.strip();
  }

  /** An integer within [min, max]. */
  public int integer(String key, int defaultValue, int min, int max, String doc) {
    return parse(key, String.valueOf(defaultValue), doc, raw -> {
      int value = Integer.parseInt(raw);
      if (value < min || value > max) {
        throw new IllegalArgumentException("must be between " + min + " and " + max + ", got " + value);
      }
      return value;
    }, defaultValue);
  }

  /** One of the allowed values (case-insensitive), returned in lower case. */
  public String oneOf(String key, String defaultValue, List<String> allowed, String doc) {
    return parse(key, defaultValue, doc + " " + allowed, raw -> {
      String value = raw.toLowerCase(java.util.Locale.ROOT);
      if (!allowed.contains(value)) {
        throw new IllegalArgumentException("must be one of " + allowed + ", got '" + raw + "'");
      }
      return value;
    }, defaultValue);
  }

  /** A comma-separated list, blanks dropped. */
  public List<String> list(String key, String doc) {
    String raw = string(key, "", doc);
    List<String> values = new ArrayList<>();
    for (String part : raw.split(",")) {
      if (!part.isBlank()) {
        values.add(part.strip());
      }
    }
    return List.copyOf(values);
  }

  private <T> T parse(String key, String defaultValue, String doc, Function<String, T> parser, T fallback) {
    String raw = string(key, defaultValue, doc);
    try {
      return parser.apply(raw);
    } catch (NumberFormatException e) {
      problems.add(key + ": '" + raw + "' is not a number (" + doc + ")");
    } catch (IllegalArgumentException e) {
      problems.add(key + ": " + e.getMessage() + " (" + doc + ")");
    }
    return fallback;
  }

  /** Throws one {@link IllegalStateException} listing every bad key; call after reading them all. */
  public void validate(String service) {
    if (!problems.isEmpty()) {
      throw new IllegalStateException(service + " configuration is invalid:\n  " + String.join("\n  ", problems));
    }
  }

  /** Every key read so far with its doc, for {@code --help} style output. */
  public Map<String, String> documentation() {
    return Map.copyOf(docs);
  }
}
