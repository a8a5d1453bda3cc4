package dev.parley.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keys kept the way the seed system's users keep them: {@code .env.local}, then {@code .env}, in the
 * folder {@code parley up} runs in ({@code KEY=value} lines, {@code #} comments, optional {@code export},
 * single or double quotes). A variable set in the real environment wins over both files, and
 * {@code .env.local} wins over {@code .env}. What was taken from where is reported by name, never by value.
 */
final class DotEnv {
  static final List<String> FILES = List.of(".env.local", ".env");

  /** The merged environment and, per file, the names taken from it. */
  record Loaded(Map<String, String> environment, Map<String, List<String>> takenFrom, List<String> problems) {
    /** One line per file that gave keys, e.g. "keys from .env.local: LIVEKIT_URL, OPENAI_API_KEY". */
    List<String> report() {
      List<String> lines = new ArrayList<>();
      takenFrom.forEach((file, names) -> {
        if (!names.isEmpty()) {
          lines.add("keys from " + file + ": " + String.join(", ", names));
        }
      });
      problems.forEach(problem -> lines.add("ignored: " + problem));
      return lines;
    }
  }

  private DotEnv() {}

  static Loaded load(Path dir, Map<String, String> environment) {
    Map<String, String> merged = new TreeMap<>(environment);
    Map<String, List<String>> takenFrom = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (String name : FILES) {
      Path file = dir.resolve(name);
      if (!Files.isRegularFile(file)) {
        continue;
      }
      List<String> taken = new ArrayList<>();
      Map<String, String> values;
      try {
        values = parse(Files.readAllLines(file, StandardCharsets.UTF_8), name, problems);
      } catch (IOException e) {
        problems.add(name + " cannot be read: " + e.getMessage());
        continue;
      }
      values.forEach((key, value) -> {
        if (!merged.containsKey(key)) {
          merged.put(key, value);
          taken.add(key);
        }
      });
      takenFrom.put(name, taken);
    }
    return new Loaded(merged, takenFrom, problems);
  }

  /** KEY=value lines; a line that is not one is named in {@code problems} (with its number, never its text). */
  static Map<String, String> parse(List<String> lines, String file, List<String> problems) {
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      if (line.startsWith("export ")) {
        line = line.substring("export ".length()).strip();
      }
      int equals = line.indexOf('=');
      String key = equals < 0 ? "" : line.substring(0, equals).strip();
      if (!key.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        problems.add(file + " line " + (i + 1) + " is not KEY=value");
        continue;
      }
      String value = line.substring(equals + 1).strip();
      if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
          || value.startsWith("'") && value.endsWith("'"))) {
        value = value.substring(1, value.length() - 1);
      } else {
        int comment = value.indexOf(" #");
        if (comment >= 0) {
          value = value.substring(0, comment).strip();
        }
      }
      values.put(key, value);
    }
    return values;
  }
}
