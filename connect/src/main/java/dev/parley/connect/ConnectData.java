package dev.parley.connect;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.LogicalTypes;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;

/**
 * Avro schemas and records as Kafka Connect schemas and structs, the way sink connectors (JDBC, Elasticsearch, S3...)
 * read them: records become structs named by their Avro full name, {@code timestamp-millis} becomes Connect's
 * {@link Timestamp}, enums become strings, a union with null becomes an optional value, and a union of several
 * records (an event topic's {@code event}) becomes a struct with one optional field per branch, of which exactly one is
 * set.
 */
final class ConnectData {
  private final Map<org.apache.avro.Schema, Schema> schemas = new ConcurrentHashMap<>();

  /** The Connect schema of an Avro schema (cached: the same Avro schema always gives the same Connect schema). */
  Schema schema(org.apache.avro.Schema avro) {
    Schema known = schemas.get(avro);
    if (known == null) {
      known = build(avro, false);
      schemas.put(avro, known);
    }
    return known;
  }

  private Schema build(org.apache.avro.Schema avro, boolean optional) {
    SchemaBuilder builder = switch (avro.getType()) {
      case RECORD -> {
        SchemaBuilder struct = SchemaBuilder.struct().name(avro.getFullName());
        if (avro.getDoc() != null) {
          struct.doc(avro.getDoc());
        }
        for (org.apache.avro.Schema.Field field : avro.getFields()) {
          struct.field(field.name(), build(field.schema(), false));
        }
        yield struct;
      }
      case UNION -> {
        List<org.apache.avro.Schema> branches = nonNull(avro);
        if (branches.size() == 1) {
          yield copy(build(branches.get(0), true));
        }
        SchemaBuilder union = SchemaBuilder.struct().name(unionName(branches));
        for (org.apache.avro.Schema branch : branches) {
          union.field(branchName(branch), build(branch, true));
        }
        if (branches.size() < avro.getTypes().size()) {
          union.optional();
        }
        yield union;
      }
      case ENUM -> SchemaBuilder.string().parameter("avro.enum", avro.getFullName());
      case ARRAY -> SchemaBuilder.array(build(avro.getElementType(), false));
      case MAP -> SchemaBuilder.map(Schema.STRING_SCHEMA, build(avro.getValueType(), false));
      case STRING -> SchemaBuilder.string();
      case BYTES, FIXED -> SchemaBuilder.bytes();
      case INT -> SchemaBuilder.int32();
      case LONG -> avro.getLogicalType() instanceof LogicalTypes.TimestampMillis ? Timestamp.builder()
          : SchemaBuilder.int64();
      case FLOAT -> SchemaBuilder.float32();
      case DOUBLE -> SchemaBuilder.float64();
      case BOOLEAN -> SchemaBuilder.bool();
      case NULL -> throw new DataException("a bare null type has no Connect schema");
    };
    if (optional) {
      builder.optional();
    }
    return builder.build();
  }

  /** A built schema as a builder again (to mark it optional). */
  private static SchemaBuilder copy(Schema schema) {
    SchemaBuilder builder = switch (schema.type()) {
      case STRUCT -> {
        SchemaBuilder struct = SchemaBuilder.struct();
        schema.fields().forEach(f -> struct.field(f.name(), f.schema()));
        yield struct;
      }
      case ARRAY -> SchemaBuilder.array(schema.valueSchema());
      case MAP -> SchemaBuilder.map(schema.keySchema(), schema.valueSchema());
      default -> new SchemaBuilder(schema.type());
    };
    builder.name(schema.name()).version(schema.version()).doc(schema.doc());
    if (schema.parameters() != null) {
      builder.parameters(schema.parameters());
    }
    return builder.optional();
  }

  /** A decoded Avro value (specific or generic) as the Connect value of {@code schema}. */
  Object value(org.apache.avro.Schema avro, Schema schema, Object value) {
    if (value == null) {
      if (!schema.isOptional()) {
        throw new DataException("null for the required " + avro.getType() + " " + schema.name());
      }
      return null;
    }
    return switch (avro.getType()) {
      case RECORD -> {
        IndexedRecord record = (IndexedRecord) value;
        Struct struct = new Struct(schema);
        for (org.apache.avro.Schema.Field field : avro.getFields()) {
          struct.put(field.name(), value(field.schema(), schema.field(field.name()).schema(), record.get(field.pos())));
        }
        yield struct;
      }
      case UNION -> {
        List<org.apache.avro.Schema> branches = nonNull(avro);
        if (branches.size() == 1) {
          yield value(branches.get(0), schema, value);
        }
        org.apache.avro.Schema branch = branchOf(branches, value);
        Struct union = new Struct(schema);
        union.put(branchName(branch), value(branch, schema.field(branchName(branch)).schema(), value));
        yield union;
      }
      case ENUM, STRING -> value.toString();
      case ARRAY -> {
        List<Object> list = new ArrayList<>();
        for (Object item : (Iterable<?>) value) {
          list.add(value(avro.getElementType(), schema.valueSchema(), item));
        }
        yield list;
      }
      case MAP -> {
        Map<String, Object> map = new LinkedHashMap<>();
        ((Map<?, ?>) value).forEach((k, v) -> map.put(k.toString(), value(avro.getValueType(), schema.valueSchema(),
            v)));
        yield map;
      }
      case BYTES -> {
        ByteBuffer buffer = ((ByteBuffer) value).duplicate();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        yield bytes;
      }
      case FIXED -> ((GenericData.Fixed) value).bytes().clone();
      case LONG -> value instanceof Instant instant ? Date.from(instant)
          : schema.name() != null && schema.name().equals(Timestamp.LOGICAL_NAME) ? new Date((Long) value) : value;
      case INT, FLOAT, DOUBLE, BOOLEAN -> value;
      case NULL -> null;
    };
  }

  /** The branch of a union that a decoded value belongs to (records by name, other values by their Java type). */
  private static org.apache.avro.Schema branchOf(List<org.apache.avro.Schema> branches, Object value) {
    for (org.apache.avro.Schema branch : branches) {
      boolean fits = switch (branch.getType()) {
        case RECORD -> value instanceof IndexedRecord r && r.getSchema().getFullName().equals(branch.getFullName());
        case ENUM -> value instanceof Enum<?> || value instanceof GenericData.EnumSymbol;
        case STRING -> value instanceof CharSequence;
        case LONG -> value instanceof Long || value instanceof Instant;
        case INT -> value instanceof Integer;
        case DOUBLE -> value instanceof Double;
        case FLOAT -> value instanceof Float;
        case BOOLEAN -> value instanceof Boolean;
        case BYTES -> value instanceof ByteBuffer;
        case FIXED -> value instanceof GenericData.Fixed;
        case ARRAY -> value instanceof java.util.Collection<?>;
        case MAP -> value instanceof Map<?, ?>;
        default -> false;
      };
      if (fits) {
        return branch;
      }
    }
    throw new DataException("a " + value.getClass().getName() + " fits no branch of the union " + branches);
  }

  private static List<org.apache.avro.Schema> nonNull(org.apache.avro.Schema union) {
    return union.getTypes().stream().filter(t -> t.getType() != org.apache.avro.Schema.Type.NULL).toList();
  }

  private static String branchName(org.apache.avro.Schema branch) {
    return switch (branch.getType()) {
      case RECORD, ENUM, FIXED -> branch.getName();
      default -> branch.getType().getName();
    };
  }

  private static String unionName(List<org.apache.avro.Schema> branches) {
    return "union." + String.join("_", branches.stream().map(ConnectData::branchName).toList());
  }
}
