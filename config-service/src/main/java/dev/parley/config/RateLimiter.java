package dev.parley.config;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/** Token buckets per client: {@code perMinute} requests, refilled continuously; remembers the 10,000 latest clients. */
final class RateLimiter {
  private final double perMillis;
  private final double capacity;
  private final Clock clock;
  private final Map<String, double[]> buckets = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, double[]> eldest) {
      return size() > 10_000;
    }
  };

  RateLimiter(int perMinute, Clock clock) {
    this.capacity = perMinute;
    this.perMillis = perMinute / 60_000.0;
    this.clock = clock;
  }

  /** 0 when allowed; otherwise the seconds to wait before the next request is allowed. */
  synchronized long acquire(String client) {
    long now = clock.millis();
    double[] bucket = buckets.computeIfAbsent(client, c -> new double[] {capacity, now});
    bucket[0] = Math.min(capacity, bucket[0] + (now - bucket[1]) * perMillis);
    bucket[1] = now;
    if (bucket[0] >= 1) {
      bucket[0] -= 1;
      return 0;
    }
    return (long) Math.ceil((1 - bucket[0]) / perMillis / 1000.0);
  }
}
