package dev.parley.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/architecture.md's topic table against the code: for every topic, the modules the table names as its writer
 * and readers are exactly the modules whose main code uses it, and each named writer builds records for it.
 */
class ArchitectureDocTest {
  private static final Path DOC = Path.of(System.getProperty("user.dir")).getParent().resolve("docs/architecture.md");
  /** How the table names a module in prose. */
  private static final Map<String, String> ALIASES = new LinkedHashMap<>();

  static {
    for (String service : List.of("config-service", "console", "router-stream", "llm-processor", "ingress-worker",
        "tts-egress", "tool-runner")) {
      ALIASES.put(service, service);
    }
    ALIASES.put("session replay", "insights");
    ALIASES.put("analytics", "insights");
    ALIASES.put("`parley up --agents`", "launcher");
    ALIASES.put("`parley chat`", "launcher");
  }

  private static JavaClasses main;
  private static Map<String, Row> table;

  private record Row(Set<String> writers, Set<String> readers) {
    Set<String> all() {
      Set<String> all = new TreeSet<>(writers);
      all.addAll(readers);
      return all;
    }
  }

  @BeforeAll
  static void read() throws IOException {
    main = ParleyRules.mainClasses();
    table = topicTable(Files.readAllLines(DOC));
  }

  @Test
  void everyTopicInTheCodeHasARow() {
    assertThat(table.keySet()).as("topics in the table of %s", DOC)
        .containsAll(TopicUse.modulesByTopic(main).keySet());
  }

  @Test
  void eachRowNamesExactlyTheModulesWhoseCodeUsesTheTopic() {
    Map<String, Set<String>> used = TopicUse.modulesByTopic(main);
    Map<String, Set<String>> named = new LinkedHashMap<>();
    table.forEach((topic, row) -> named.put(topic, row.all()));
    Map<String, Set<String>> inCode = new LinkedHashMap<>();
    table.keySet().forEach(topic -> inCode.put(topic, used.getOrDefault(topic, Set.of())));
    assertThat(named).as("writers and readers per topic in %s (left) against the code (right)", DOC)
        .isEqualTo(inCode);
  }

  @Test
  void eachNamedWriterBuildsRecordsForItsTopic() {
    Map<String, Set<String>> writers = TopicUse.writersByTopic(main);
    table.forEach((topic, row) -> assertThat(writers.getOrDefault(topic, Set.of()))
        .as("modules that write %s in code (the table names %s)", topic, row.writers())
        .containsAll(row.writers()));
  }

  /** Rows of the "## Topics" table: topic name to the modules its writer and readers columns name. */
  static Map<String, Row> topicTable(List<String> lines) {
    Map<String, Row> rows = new LinkedHashMap<>();
    boolean inSection = false;
    for (String line : lines) {
      if (line.startsWith("## ")) {
        inSection = line.equals("## Topics");
      }
      if (!inSection || !line.startsWith("| `parley.")) {
        continue;
      }
      String[] cells = line.split("(?<!\\\\)\\|");
      String topic = cells[1].strip().replace("`", "");
      rows.put(topic, new Row(modulesIn(cells[6]), modulesIn(cells[7])));
    }
    assertThat(rows).as("topic rows in %s", DOC).isNotEmpty();
    return rows;
  }

  /** The modules a cell names, by their names or aliases, ignoring any parenthesised explanation. */
  private static Set<String> modulesIn(String cell) {
    String names = cell.replaceAll("\\([^()]*(\\([^()]*\\)[^()]*)*\\)", "");
    Set<String> modules = new TreeSet<>();
    ALIASES.forEach((alias, module) -> {
      if (names.contains(alias)) {
        modules.add(module);
      }
    });
    return modules;
  }
}
