package dev.parley.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.AgentConfigValidator;
import dev.parley.agentconfig.FieldError;
import dev.parley.agentconfig.InvalidConfigException;
import dev.parley.config.VersionedDocuments.Version;
import dev.parley.webapi.NotFoundException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * Agent configs in MongoDB: an append-only version log ({@code agent_config_versions}) is the system
 * of record; {@code agents} indexes the current version of each agent for listing.
 */
final class AgentStore {
  static final int MAX_RETRIES = 25;
  private final VersionedDocuments versions;
  private final MongoCollection<Document> index;
  private final Clock clock;

  AgentStore(MongoDatabase db, Clock clock) {
    this.versions = new VersionedDocuments(db.getCollection("agent_config_versions"));
    this.index = db.getCollection("agents");
    this.clock = clock;
  }

  /** A page of current configs. */
  record Page(List<AgentConfig> items, long total, int offset, int limit) {}

  AgentConfig create(AgentConfig input) {
    AgentConfig config = input.withDefaults();
    requireValid(config);
    Instant now = clock.instant();
    AgentConfig stored = config.withServerFields(1, AgentConfig.ACTIVE, now, now);
    if (!versions.append(stored.agentId(), 1, toDocument(stored), now)) {
      throw new ConflictException(409, "agent '" + stored.agentId() + "' already exists; PATCH it to change it");
    }
    index(stored);
    return stored;
  }

  Optional<AgentConfig> current(String agentId) {
    return versions.latest(agentId).map(AgentStore::toConfig);
  }

  Optional<AgentConfig> version(String agentId, int version) {
    return versions.get(agentId, version).map(AgentStore::toConfig);
  }

  List<AgentConfig> history(String agentId, int offset, int limit) {
    return versions.history(agentId, offset, limit).stream().map(AgentStore::toConfig).toList();
  }

  Page list(String tenant, String status, int offset, int limit) {
    List<Bson> filters = new ArrayList<>();
    if (tenant != null) {
      filters.add(Filters.eq("tenant_id", tenant));
    }
    if (status != null) {
      filters.add(Filters.eq("status", status));
    }
    Bson filter = filters.isEmpty() ? new Document() : Filters.and(filters);
    List<AgentConfig> items = new ArrayList<>();
    for (Document doc : index.find(filter).sort(Sorts.ascending("_id")).skip(offset).limit(limit)) {
      version(doc.getString("_id"), doc.getInteger("version")).ifPresent(items::add);
    }
    return new Page(items, index.countDocuments(filter), offset, limit);
  }

  /**
   * Applies a JSON merge patch as a new version. With {@code ifMatch}, the patch applies only to that
   * version (else 412); without, a lost race is retried on the newer version, so no edit is lost.
   */
  AgentConfig patch(String agentId, JsonNode patch, Integer ifMatch) {
    if (!patch.isObject()) {
      throw new InvalidConfigException(new FieldError("$", "a PATCH body must be a JSON object (merge patch)"));
    }
    for (String readOnly : List.of("agent_id", "version", "created_at", "updated_at")) {
      if (patch.has(readOnly)) {
        throw new InvalidConfigException(new FieldError(readOnly, "cannot be changed"));
      }
    }
    for (int attempt = 0; attempt < MAX_RETRIES; attempt++) {
      AgentConfig current = current(agentId).orElseThrow(() -> new NotFoundException("no agent '" + agentId + "'"));
      if (ifMatch != null && ifMatch != current.version()) {
        throw new ConflictException(412, "agent '" + agentId + "' is at version " + current.version()
            + ", not " + ifMatch + "; reload it and apply your change again");
      }
      AgentConfig next = AgentConfigJson.fromTree(AgentConfigJson.mergePatch(AgentConfigJson.tree(current), patch));
      requireValid(next);
      Instant now = clock.instant();
      int version = current.version() + 1;
      AgentConfig stored = next.withServerFields(version, next.status() == null ? AgentConfig.ACTIVE : next.status(),
          current.createdAt(), now);
      if (versions.append(agentId, version, toDocument(stored), now)) {
        index(stored);
        return stored;
      }
      if (ifMatch != null) {
        throw new ConflictException(412, "agent '" + agentId + "' changed while this edit was applied; reload it");
      }
      backOff(attempt);
    }
    throw new ConflictException(409, "agent '" + agentId + "' is being edited too often; try again");
  }

  /** A short random pause so racing editors stop colliding in lock step. */
  static void backOff(int attempt) {
    try {
      Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(1, 5 + 5 * Math.min(attempt, 10)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConflictException(409, "interrupted while retrying an edit");
    }
  }

  List<Version> unpublished() {
    return versions.unpublished();
  }

  void markPublished(String agentId, int version) {
    versions.markPublished(agentId, version);
  }

  /** Makes the listing index point at the newest version (after a crash between the log and the index). */
  void index(AgentConfig config) {
    index.replaceOne(Filters.eq("_id", config.agentId()), new Document("_id", config.agentId())
        .append("tenant_id", config.tenantId()).append("name", config.name()).append("status", config.status())
        .append("version", config.version()), new ReplaceOptions().upsert(true));
  }

  private static void requireValid(AgentConfig config) {
    List<FieldError> errors = AgentConfigValidator.validate(config);
    if (!errors.isEmpty()) {
      throw new InvalidConfigException(errors);
    }
  }

  private static Document toDocument(AgentConfig config) {
    return Document.parse(AgentConfigJson.write(config));
  }

  static AgentConfig toConfig(Version version) {
    return AgentConfigJson.read(version.body().toJson());
  }
}
