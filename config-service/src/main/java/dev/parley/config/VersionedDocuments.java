package dev.parley.config;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bson.Document;

/**
 * An append-only log of versions per key in one MongoDB collection, the system of record for agent
 * configs and routing rules. Each version is its own document with {@code _id = key:version}, so
 * two writers racing for the same version collide on the primary key: one wins, the other is told.
 * No multi-document transaction is needed (FerretDB has none).
 *
 * <p>Each version is written {@code published: false} and marked published once Kafka has it;
 * {@link #unpublished()} is what start-up reconciles after a crash between the two writes.
 */
final class VersionedDocuments {
  static final String KEY = "key";
  static final String VERSION = "version";
  static final String BODY = "body";
  static final String PUBLISHED = "published";
  static final String CREATED_AT = "created_at";

  private final MongoCollection<Document> versions;

  VersionedDocuments(MongoCollection<Document> versions) {
    this.versions = versions;
  }

  /** One stored version. */
  record Version(String key, int version, Document body, Instant createdAt, boolean published) {
    static Version of(Document doc) {
      return new Version(doc.getString(KEY), doc.getInteger(VERSION), doc.get(BODY, Document.class),
          doc.getDate(CREATED_AT).toInstant(), Boolean.TRUE.equals(doc.getBoolean(PUBLISHED)));
    }
  }

  /** Appends {@code version}; false when that version of the key already exists (a concurrent writer won). */
  boolean append(String key, int version, Document body, Instant at) {
    try {
      versions.insertOne(new Document("_id", key + ":" + version).append(KEY, key).append(VERSION, version)
          .append(BODY, body).append(CREATED_AT, Date.from(at)).append(PUBLISHED, false));
      return true;
    } catch (MongoWriteException e) {
      if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
        return false;
      }
      throw e;
    }
  }

  Optional<Version> latest(String key) {
    return Optional.ofNullable(versions.find(Filters.eq(KEY, key)).sort(Sorts.descending(VERSION)).first())
        .map(Version::of);
  }

  Optional<Version> get(String key, int version) {
    return Optional.ofNullable(versions.find(Filters.eq("_id", key + ":" + version)).first()).map(Version::of);
  }

  /** Versions of {@code key}, newest first, with paging. */
  List<Version> history(String key, int offset, int limit) {
    return versions.find(Filters.eq(KEY, key)).sort(Sorts.descending(VERSION)).skip(offset).limit(limit)
        .map(Version::of).into(new ArrayList<>());
  }

  List<Version> unpublished() {
    return versions.find(Filters.eq(PUBLISHED, false)).sort(Sorts.ascending(KEY, VERSION)).map(Version::of)
        .into(new ArrayList<>());
  }

  void markPublished(String key, int version) {
    versions.updateOne(Filters.eq("_id", key + ":" + version), Updates.set(PUBLISHED, true));
  }
}
