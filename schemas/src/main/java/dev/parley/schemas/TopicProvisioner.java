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
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates catalogue topics that do not exist yet and verifies the ones that do. Safe to call from
 * several processes at once: a topic another process created first counts as present.
 */
public final class TopicProvisioner {
  private static final long TIMEOUT_SECONDS = 30;
  private final Admin admin;
  private final short replicationFactor;

  private static final int VERIFY_ATTEMPTS = 20;

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

  /**
   * Checks the topic's partition count. A topic another service has just created may not be described yet
   * (its metadata is still reaching the broker): that is retried for a few seconds, as services of a
   * stack that start together all create the topics at once.
   */
  private void verify(Topic<?, ?> topic) throws ExecutionException, InterruptedException, TimeoutException {
    Map<String, TopicDescription> described;
    for (int attempt = 1; ; attempt++) {
      try {
        described = admin.describeTopics(List.of(topic.name())).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        break;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || attempt == VERIFY_ATTEMPTS) {
          throw e;
        }
        Thread.sleep(Math.min(2_000L, 250L * attempt)); // ~30 s in all: a whole stack starting on two cores
      }
    }
    int actual = described.get(topic.name()).partitions().size();
    if (actual < topic.partitions()) {
      throw new IllegalStateException("topic " + topic.name() + " has " + actual + " partitions but the catalogue"
          + " needs " + topic.partitions() + "; sessions would be keyed inconsistently - recreate or expand it");
    }
  }
}
