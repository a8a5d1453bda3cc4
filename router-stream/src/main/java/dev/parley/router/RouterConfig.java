package dev.parley.router;

import dev.parley.kit.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * router-stream's settings, read once at start-up from the environment.
 *
 * @param guarantee      {@code at_least_once} (default: plain-hop latency, duplicates removed
 *                       downstream by turn id) or {@code exactly_once_v2}
 * @param pendingTimeout how long a session's events wait for its SessionStarted before they are
 *                       routed by the default rules
 */
public record RouterConfig(String bootstrapServers, String applicationId, String guarantee, int commitIntervalMs,
    int threads, Path stateDir, Duration pendingTimeout, Duration endedRetention, short replicationFactor,
    String instanceId, int failoverMs) {

  public static final String AT_LEAST_ONCE = "at_least_once";
  public static final String EXACTLY_ONCE = "exactly_once_v2";

  /** A killed instance's sessions are routed by a running peer after this long (see PARLEY_FAILOVER_MS). */
  public static final int DEFAULT_FAILOVER_MS = dev.parley.kit.Failover.DEFAULT_MS;

  public static RouterConfig from(Settings settings) {
    String bootstrap = settings.string("PARLEY_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "Kafka bootstrap servers");
    String appId = settings.string("PARLEY_ROUTER_APP_ID", "parley-router", "Kafka Streams application id");
    String guarantee = settings.oneOf("PARLEY_ROUTER_GUARANTEE", AT_LEAST_ONCE, List.of(AT_LEAST_ONCE, EXACTLY_ONCE),
        "processing guarantee");
    int commit = settings.integer("PARLEY_ROUTER_COMMIT_INTERVAL_MS", guarantee.equals(EXACTLY_ONCE) ? 10 : 100, 1,
        60_000, "Streams commit interval in ms");
    int threads = settings.integer("PARLEY_ROUTER_THREADS", 1, 1, 64, "stream threads");
    String stateDir = settings.string("PARLEY_ROUTER_STATE_DIR",
        Path.of(System.getProperty("java.io.tmpdir"), "parley-router").toString(), "local state folder");
    int pendingMs = settings.integer("PARLEY_ROUTER_PENDING_TIMEOUT_MS", 60_000, 1_000, 3_600_000,
        "how long events wait for their session's start before default routing");
    int replication = settings.integer("PARLEY_REPLICATION_FACTOR", 1, 1, 5, "replication factor of created topics");
    String instance = settings.string("PARLEY_ROUTER_INSTANCE_ID", "",
        "stable instance name (e.g. the pod name): a restarted instance takes its partitions back at once");
    int failover = dev.parley.kit.Failover.fromSettings(settings);
    settings.validate("router-stream");
    return new RouterConfig(bootstrap, appId, guarantee, commit, threads, Path.of(stateDir),
        Duration.ofMillis(pendingMs), Duration.ofMinutes(10), (short) replication, instance, failover);
  }

  /** Kafka Streams properties: low-latency producer settings for either guarantee. */
  public Properties streamsProperties() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor);
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Deserialization.class);
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Processing.class);
    // A voice turn cannot wait for batching: send at once (measured: linger 100 ms adds ~60 ms p50).
    props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 5);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), 500); // answered at once when a record arrives
    // A dead instance's partitions move to a running peer after failoverMs; a restarted one with the same id gets
    // them back at once. Each instance keeps a warm copy of a peer's session state (a standby), so the survivor
    // routes the dead one's sessions without first replaying their changelog.
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), failoverMs);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), dev.parley.kit.Failover.heartbeatMs(failoverMs));
    props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
    if (!instanceId.isBlank()) {
      props.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), instanceId);
    }
    return props;
  }
}
