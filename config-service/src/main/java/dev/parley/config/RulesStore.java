package dev.parley.config;

import com.mongodb.client.MongoDatabase;
import dev.parley.config.VersionedDocuments.Version;
import dev.parley.routing.RoutingRules;
import dev.parley.webapi.NotFoundException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.bson.Document;

/** Routing rules per rules id (a tenant, or "default"), versioned like agent configs. */
final class RulesStore {
  static final String DEFAULT_ID = "default";
  private static final String DELETED = "deleted";
  private final VersionedDocuments versions;
  private final Clock clock;

  RulesStore(MongoDatabase db, Clock clock) {
    this.versions = new VersionedDocuments(db.getCollection("routing_rules_versions"));
    this.clock = clock;
  }

  /** Stored rules with their version; {@code rules} is empty for a deletion. */
  record StoredRules(String rulesId, int version, Optional<RoutingRules> rules, Instant at) {}

  Optional<StoredRules> current(String rulesId) {
    return versions.latest(rulesId).map(RulesStore::toStored);
  }

  Optional<StoredRules> version(String rulesId, int version) {
    return versions.get(rulesId, version).map(RulesStore::toStored);
  }

  List<StoredRules> history(String rulesId, int offset, int limit) {
    return versions.history(rulesId, offset, limit).stream().map(RulesStore::toStored).toList();
  }

  /** Stores {@code rules} as the next version (412 when {@code ifMatch} is not the current version). */
  StoredRules put(String rulesId, RoutingRules rules, Integer ifMatch) {
    return append(rulesId, ifMatch, v -> Document.parse(rules.withVersion(v).toJson()));
  }

  /** Deletes a tenant's rules (sessions fall back to the default rules); history stays. */
  StoredRules delete(String rulesId, Integer ifMatch) {
    current(rulesId).filter(s -> s.rules().isPresent())
        .orElseThrow(() -> new NotFoundException("no routing rules '" + rulesId + "'"));
    return append(rulesId, ifMatch, v -> new Document(DELETED, true));
  }

  private StoredRules append(String rulesId, Integer ifMatch, java.util.function.IntFunction<Document> body) {
    for (int attempt = 0; attempt < AgentStore.MAX_RETRIES; attempt++) {
      int currentVersion = current(rulesId).map(StoredRules::version).orElse(0);
      if (ifMatch != null && ifMatch != currentVersion) {
        throw new ConflictException(412, "routing rules '" + rulesId + "' are at version " + currentVersion
            + ", not " + ifMatch);
      }
      int next = currentVersion + 1;
      Instant now = clock.instant();
      if (versions.append(rulesId, next, body.apply(next), now)) {
        return version(rulesId, next).orElseThrow();
      }
      if (ifMatch != null) {
        throw new ConflictException(412, "routing rules '" + rulesId + "' changed meanwhile; reload them");
      }
      AgentStore.backOff(attempt);
    }
    throw new ConflictException(409, "routing rules '" + rulesId + "' are being edited too often; try again");
  }

  List<Version> unpublished() {
    return versions.unpublished();
  }

  void markPublished(String rulesId, int version) {
    versions.markPublished(rulesId, version);
  }

  private static StoredRules toStored(Version version) {
    Optional<RoutingRules> rules = Boolean.TRUE.equals(version.body().getBoolean(DELETED)) ? Optional.empty()
        : Optional.of(RoutingRules.fromJson(version.body().toJson()).withVersion(version.version()));
    return new StoredRules(version.key(), version.version(), rules, version.createdAt());
  }
}
