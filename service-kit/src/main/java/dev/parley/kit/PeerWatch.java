package dev.parley.kit;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a dead peer in about a second, the Kafka-native way: every instance of a service writes a heartbeat per
 * session it holds to a compacted topic keyed by session (and one for itself), and each instance reads all of them
 * from the end. An instance that has written nothing for {@code suspectMs} is taken for dead, and {@code onSilent}
 * hears of the sessions it held (once per session, unless {@code skip} says the session is dealt with) — well before
 * a consumer group's session timeout or LiveKit's participant timeout would say so.
 */
public final class PeerWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PeerWatch.class);
  /** The key prefix of an instance's own heartbeat (one that holds no session is still seen alive). */
  public static final String INSTANCE_KEY = "instance/";
  /** Heartbeats older than this are of sessions long gone. */
  private static final long FORGET_MS = 30_000;

  /** One heartbeat: who holds the session (null session: the instance's own), and what it says. */
  public record Beat<T>(String session, String instance, T value) {}

  /** Reads a heartbeat record; null if unreadable. */
  public interface Decoder<T> {
    Beat<T> decode(String key, byte[] value);
  }

  /** Told of a silent instance and its sessions not yet dealt with. */
  public interface OnSilent<T> {
    void silent(String instance, long silentMs, List<Beat<T>> sessions);
  }

  private record Seen<T>(Beat<T> beat, long at) {}

  private final String self;
  private final String bootstrap;
  private final String topic;
  private final Map<String, Seen<?>> sessions = new ConcurrentHashMap<>();
  private final Map<String, Long> instances = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean running = true;

  private PeerWatch(String self, String bootstrap, String topic, Runnable loop) {
    this.self = self;
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.thread = new Thread(loop, "peer-watch-" + topic);
    this.thread.setDaemon(true);
  }

  /**
   * Watches {@code topic} as {@code self}; every ~50 ms {@code onSilent} hears of instances silent for
   * {@code suspectMs} with their sessions {@code skip} does not exclude, and {@code tick} runs.
   */
  public static <T> PeerWatch start(String self, String bootstrap, String topic, Decoder<T> decoder, long suspectMs,
      Predicate<String> skip, OnSilent<T> onSilent, Runnable tick) {
    PeerWatch[] watch = new PeerWatch[1];
    watch[0] = new PeerWatch(self, bootstrap, topic, () -> watch[0].watch(decoder, suspectMs, skip, onSilent, tick));
    watch[0].thread.start();
    return watch[0];
  }

  @SuppressWarnings("unchecked")
  private <T> void watch(Decoder<T> decoder, long suspectMs, Predicate<String> skip, OnSilent<T> onSilent,
      Runnable tick) {
    try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = reader.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      reader.assign(partitions);
      reader.seekToEnd(partitions);
      while (running) {
        long now = System.currentTimeMillis();
        for (ConsumerRecord<String, byte[]> record : reader.poll(Duration.ofMillis(50))) {
          if (record.value() == null) {
            sessions.remove(record.key());
            continue;
          }
          Beat<T> beat = decoder.decode(record.key(), record.value());
          if (beat != null) {
            instances.put(beat.instance(), now);
            if (beat.session() != null) {
              sessions.put(beat.session(), new Seen<>(beat, now));
            }
          }
        }
        now = System.currentTimeMillis();
        long at = now;
        sessions.values().removeIf(s -> at - s.at() > FORGET_MS);
        instances.values().removeIf(last -> at - last > FORGET_MS);
        for (Map.Entry<String, Long> instance : instances.entrySet()) {
          long silent = now - instance.getValue();
          if (instance.getKey().equals(self) || silent < suspectMs) {
            continue;
          }
          List<Beat<T>> held = sessions.values().stream().map(s -> (Beat<T>) s.beat())
              .filter(b -> b.instance().equals(instance.getKey()) && !skip.test(b.session())).toList();
          if (!held.isEmpty()) {
            onSilent.silent(instance.getKey(), silent, held);
          }
        }
        tick.run();
      }
    } catch (org.apache.kafka.common.errors.InterruptException | org.apache.kafka.common.errors.WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      if (running) {
        log.warn("the watch on other instances ({}) stopped: {}; a dead peer's sessions wait for the slower"
            + " timeouts", topic, e.getMessage());
      }
    }
  }

  /** When {@code instance} was last heard of (epoch ms), or 0. */
  public long lastHeard(String instance) {
    return instances.getOrDefault(instance, 0L);
  }

  /** The instances heard of within {@code ms}, and this one. */
  public Set<String> alive(long ms) {
    long now = System.currentTimeMillis();
    Set<String> alive = instances.entrySet().stream().filter(e -> now - e.getValue() < ms).map(Map.Entry::getKey)
        .collect(Collectors.toSet());
    alive.add(self);
    return alive;
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
  }
}
