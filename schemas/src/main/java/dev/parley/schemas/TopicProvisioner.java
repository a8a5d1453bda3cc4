package dev.parley.schemas;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates catalogue topics that do not exist yet and verifies the ones that do. Safe to call from
 * several processes at once: a topic another process created first counts as present.
 */
public final class TopicProvisioner {
  private static final long TIMEOUT_SECONDS = 30;
  private final Admin admin;
  private final short replicationFactor;

  public TopicProvisioner(Admin admin, short replicationFactor) {
    this.admin = admin;
    this.replicationFactor = replicationFactor;
  }

  /** Ensures every topic exists with at least its catalogue partition count; returns the names it created. */
  public List<String> ensure(Collection<? extends Topic<?, ?>> topics) {
    try {
      Set<String> existing = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      List<String> created = new ArrayList<>();
      for (Topic<?, ?> topic : topics) {
        if (existing.contains(topic.name())) {
          verify(topic);
          continue;
        }
        NewTopic spec = new NewTopic(topic.name(), topic.partitions(), replicationFactor).configs(topic.configs());
        try {
          admin.createTopics(List.of(spec)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
          created.add(topic.name());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
          verify(topic);
        }
      }
      return created;
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create or check topics: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }

  private void verify(Topic<?, ?> topic) throws ExecutionException, InterruptedException, TimeoutException {
    Map<String, TopicDescription> described =
        admin.describeTopics(List.of(topic.name())).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    int actual = described.get(topic.name()).partitions().size();
    if (actual < topic.partitions()) {
      throw new IllegalStateException("topic " + topic.name() + " has " + actual + " partitions but the catalogue"
          + " needs " + topic.partitions() + "; sessions would be keyed inconsistently - recreate or expand it");
    }
  }
}
