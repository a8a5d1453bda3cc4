package dev.parley.e2e;

import static org.awaitility.Awaitility.await;

import dev.parley.localstack.junit.TestKafka;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;

/** Waits on a consumer group as Kafka reports it, instead of sleeping for it to settle. */
final class ConsumerGroups {
  private ConsumerGroups() {}

  /** Until {@code groupId} is stable with {@code members} members, each holding partitions. */
  static void awaitShared(TestKafka kafka, String groupId, int members, Duration timeout) {
    try (Admin admin = kafka.admin()) {
      await("consumer group " + groupId + " stable with " + members + " member(s) holding partitions")
          .atMost(timeout).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(groupId)).all().get()
                .get(groupId);
            return group.groupState() == GroupState.STABLE && group.members().size() == members
                && group.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty());
          });
    }
  }
}
