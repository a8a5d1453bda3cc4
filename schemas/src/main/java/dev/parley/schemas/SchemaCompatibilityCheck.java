package dev.parley.schemas;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;

/**
 * Full compatibility between a candidate schema and released versions: the candidate reads every
 * old record (backward) and every old reader reads the candidate's records (forward).
 */
public final class SchemaCompatibilityCheck {
  private SchemaCompatibilityCheck() {}

  /** Problems found, one line each; empty when {@code candidate} is fully compatible with all of {@code released}. */
  public static List<String> problems(Schema candidate, List<Schema> released) {
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < released.size(); i++) {
      Schema old = released.get(i);
      String version = " vs released v" + (i + 1);
      checkBothWays(candidate.getFullName() + version, candidate, old, problems);
      // Unions of records only say "missing branch": compare same-named records to name the field.
      Map<String, Schema> oldRecords = records(old);
      records(candidate).forEach((name, record) -> {
        Schema oldRecord = oldRecords.get(name);
        if (oldRecord != null && !name.equals(candidate.getFullName())) {
          checkBothWays(name + " in " + candidate.getName() + version, record, oldRecord, problems);
        }
      });
    }
    return problems;
  }

  private static void checkBothWays(String label, Schema candidate, Schema old, List<String> problems) {
    check(label + " (backward: new reads old)", candidate,
        SchemaCompatibility.checkReaderWriterCompatibility(candidate, old), problems);
    check(label + " (forward: old reads new)", old,
        SchemaCompatibility.checkReaderWriterCompatibility(old, candidate), problems);
  }

  /** Every record type reachable from {@code schema}, by full name. */
  static Map<String, Schema> records(Schema schema) {
    Map<String, Schema> found = new LinkedHashMap<>();
    collect(schema, found);
    return found;
  }

  private static void collect(Schema schema, Map<String, Schema> found) {
    switch (schema.getType()) {
      case RECORD -> {
        if (found.putIfAbsent(schema.getFullName(), schema) == null) {
          schema.getFields().forEach(f -> collect(f.schema(), found));
        }
      }
      case UNION -> schema.getTypes().forEach(t -> collect(t, found));
      case ARRAY -> collect(schema.getElementType(), found);
      case MAP -> collect(schema.getValueType(), found);
      default -> { }
    }
  }

  private static void check(String label, Schema reader, SchemaPairCompatibility result, List<String> problems) {
    if (result.getType() != SchemaCompatibilityType.COMPATIBLE) {
      result.getResult().getIncompatibilities().forEach(inc -> problems.add(label + ": " + inc.getType()
          + " at " + inc.getLocation() + fieldName(reader, inc.getLocation()) + " - " + inc.getMessage()));
    }
  }

  /** " (field x)" for a location such as /fields/2/type in a record, else "". */
  private static String fieldName(Schema reader, String location) {
    String[] parts = location.split("/");
    if (reader.getType() == Schema.Type.RECORD && parts.length > 2 && parts[1].equals("fields")) {
      try {
        return " (field " + reader.getFields().get(Integer.parseInt(parts[2])).name() + ")";
      } catch (NumberFormatException | IndexOutOfBoundsException e) {
        return "";
      }
    }
    return "";
  }
}
