package dev.parley.schemas;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Records the current topic (and router state store) value schemas as released versions in the history folder, refusing a
 * schema that is not fully compatible with what was released before.
 *
 * <p>Run from the repository root:
 * <pre>mvn -q -pl schemas compile exec:java -Dexec.mainClass=dev.parley.schemas.SchemaRelease \
 *   -Dexec.args=schemas/src/main/resources/dev/parley/schemas/history</pre>
 */
public final class SchemaRelease {
  private SchemaRelease() {}

  /** The value schemas of every topic kind, by full name: what producers write. */
  public static Map<String, Schema> topicValueSchemas() {
    Map<String, Schema> schemas = new LinkedHashMap<>();
    Topics.all().forEach(t -> put(schemas, t));
    put(schemas, Topics.agent("any-agent"));
    put(schemas, Topics.deadLetters(Topics.USER_TURNS));
    // router-stream's state store values: their changelogs are topics too, and a router upgraded with a changed
    // schema must still read the assignments an older router stored
    schemas.put(dev.parley.events.SessionAssignment.getClassSchema().getFullName(),
        AvroSerde.of(dev.parley.events.SessionAssignment.class).schema());
    schemas.put(dev.parley.events.PendingEvents.getClassSchema().getFullName(),
        AvroSerde.of(dev.parley.events.PendingEvents.class).schema());
    return schemas;
  }

  private static void put(Map<String, Schema> schemas, Topic<?, ?> topic) {
    Schema schema = ((AvroSerde<?>) topic.valueSerde()).schema();
    schemas.put(schema.getFullName(), schema);
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: SchemaRelease <history folder>");
      System.exit(2);
    }
    Path root = Path.of(args[0]);
    Path index = root.resolve("index.txt");
    Map<String, List<Schema>> releasedBefore = SchemaHistory.load(root);
    int released = 0;
    for (Schema current : topicValueSchemas().values()) {
      List<Schema> history = releasedBefore.getOrDefault(current.getFullName(), List.of());
      long fingerprint = SchemaNormalization.parsingFingerprint64(current);
      if (history.stream().anyMatch(s -> SchemaNormalization.parsingFingerprint64(s) == fingerprint)) {
        continue;
      }
      List<String> problems = SchemaCompatibilityCheck.problems(current, history);
      if (!problems.isEmpty()) {
        System.err.println("refusing to release " + current.getFullName() + ":");
        problems.forEach(p -> System.err.println("  " + p));
        System.exit(1);
      }
      String entry = current.getName() + "/v" + (history.size() + 1) + ".avsc";
      Files.createDirectories(root.resolve(current.getName()));
      Files.writeString(root.resolve(entry), current.toString(true) + "\n", StandardCharsets.UTF_8);
      Files.writeString(index, entry + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      System.out.println("released " + entry);
      released++;
    }
    System.out.println(released == 0 ? "nothing to release: every schema is already released" :
        "released " + released + " schema version(s); commit " + root);
  }
}
