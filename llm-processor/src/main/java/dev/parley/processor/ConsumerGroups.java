package dev.parley.processor;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a consumer group has members (a tool runner, another agent's processor), asked of the broker at most every
 * {@link #CHECK_EVERY_MS} per group. When the broker cannot tell, the answer is yes: the work goes out, and a member
 * that is there does it.
 */
final class ConsumerGroups {
  private static final Logger log = LoggerFactory.getLogger(ConsumerGroups.class);
  /** How long an answer about a group is reused. */
  static final long CHECK_EVERY_MS = 5_000;

  private record Seen(long at, boolean members) {}

  private final Admin admin;
  private final Map<String, Seen> seen = new ConcurrentHashMap<>();

  ConsumerGroups(Admin admin) {
    this.admin = admin;
  }

  boolean hasMembers(String group) {
    long now = System.currentTimeMillis();
    Seen last = seen.get(group);
    if (last != null && now - last.at() < CHECK_EVERY_MS) {
      return last.members();
    }
    boolean members = true;
    try {
      var described = admin.describeConsumerGroups(List.of(group)).all().get(5, TimeUnit.SECONDS).get(group);
      members = described != null && !described.members().isEmpty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      log.debug("cannot tell whether consumer group {} has members: {}", group, e.toString());
    }
    seen.put(group, new Seen(now, members));
    return members;
  }
}
