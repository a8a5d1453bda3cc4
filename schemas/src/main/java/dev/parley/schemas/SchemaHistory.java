package dev.parley.schemas;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.avro.Schema;

/**
 * The released versions of every schema, as self-contained {@code .avsc} files under
 * {@code dev/parley/schemas/history/<Name>/v<N>.avsc}, listed in {@code index.txt}.
 * A release adds the current schemas with {@link SchemaRelease}; nothing is ever removed.
 */
public final class SchemaHistory {
  static final String ROOT = "dev/parley/schemas/history/";
  private static final Map<String, List<Schema>> VERSIONS =
      load(resource -> SchemaHistory.class.getClassLoader().getResourceAsStream(ROOT + resource));

  private SchemaHistory() {}

  /** Released versions of the named schema (full name), oldest first; empty if never released. */
  public static List<Schema> versions(String fullName) {
    return VERSIONS.getOrDefault(fullName, List.of());
  }

  /** Every released schema by full name. */
  public static Map<String, List<Schema>> all() {
    return VERSIONS;
  }

  /** Reads a history folder from the file system (what {@link SchemaRelease} appends to). */
  static Map<String, List<Schema>> load(Path folder) {
    return load(resource -> {
      try {
        Path file = folder.resolve(resource);
        return Files.exists(file) ? Files.newInputStream(file) : null;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  private static Map<String, List<Schema>> load(Function<String, InputStream> open) {
    Map<String, List<Schema>> byName = new LinkedHashMap<>();
    for (String entry : readLines(open.apply("index.txt"))) {
      Schema schema = parse(entry, open.apply(entry));
      byName.computeIfAbsent(schema.getFullName(), n -> new ArrayList<>()).add(schema);
    }
    byName.replaceAll((name, list) -> List.copyOf(list));
    return Collections.unmodifiableMap(byName);
  }

  private static List<String> readLines(InputStream in) {
    if (in == null) {
      return List.of();
    }
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      return reader.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the schema history index", e);
    }
  }

  private static Schema parse(String resource, InputStream stream) {
    try (InputStream in = stream) {
      if (in == null) {
        throw new IllegalStateException("schema history lists " + resource + " but it is missing");
      }
      return new Schema.Parser().parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }
}
