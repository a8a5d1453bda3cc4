package dev.parley.ingress;

import dev.parley.events.ListenerHeartbeat;
import dev.parley.kit.PeerWatch;
import dev.parley.schemas.Topics;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who listens to which call. This instance says so every {@link #EVERY_MS} on {@link Topics#LISTENERS} (a beat per
 * call it listens to, and one for itself), and reads what the others say ({@link PeerWatch}): when an instance has
 * been silent for {@link #SUSPECT_MS}, its calls have lost their ears, and one surviving instance (the first by name
 * among those alive, so the calls are dispatched once) asks LiveKit to dispatch each of them again as the same session.
 * Without this a call waited for a new instance to start and for LiveKit to drop the dead listener (24–28 s).
 */
final class Listeners implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Listeners.class);
  static final long EVERY_MS = 250;
  /**
   * Silence after which an instance is taken for dead. A busy instance's beats were seen to stall 1.75 s while Moonshine
   * transcribed on a loaded 2-core machine: such a false verdict costs a second listener joining the call, and the
   * slow one steps down when it sees the newcomer's beats ({@link #yields}), finishing the turn it was hearing first.
   */
  static final long SUSPECT_MS = 800;
  /**
   * After this long, anyone alive dispatches (the instance first by name may have died as well). Well beyond the time a
   * dispatched call takes to be listened to again (and heard of here), so a call is not dispatched twice.
   */
  private static final long ANYONE_AFTER_MS = SUSPECT_MS + 10_000;
  /** A call dispatched again is not dispatched again before this. */
  private static final long RETRY_AFTER_MS = 20_000;

  private final String self;
  private final IngressConfig config;
  private final Producer<String, byte[]> producer;
  private final Orphans orphans;
  private final Supplier<Collection<CallSession>> calls;
  private final Map<String, Long> dispatched = new ConcurrentHashMap<>();
  private final ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "ingress-listener-beats");
    t.setDaemon(true);
    return t;
  });
  private PeerWatch watch;

  Listeners(String self, IngressConfig config, Producer<String, byte[]> producer, Orphans orphans,
      Supplier<Collection<CallSession>> calls) {
    this.self = self;
    this.config = config;
    this.producer = producer;
    this.orphans = orphans;
    this.calls = calls;
  }

  void start() {
    Thread warm = new Thread(orphans::warm, "ingress-livekit-warm-up"); // before any take-over needs them
    warm.setDaemon(true);
    warm.start();
    beats.scheduleWithFixedDelay(this::beat, 0, EVERY_MS, TimeUnit.MILLISECONDS);
    watch = PeerWatch.start(self, config.bootstrapServers(), Topics.LISTENERS.name(), this::decode, SUSPECT_MS,
        this::dealtWith, this::takeOver, () -> {
          long now = System.currentTimeMillis();
          dispatched.values().removeIf(at -> now - at > RETRY_AFTER_MS);
        });
  }

  private void beat() {
    try {
      Instant now = Instant.now();
      send(PeerWatch.INSTANCE_KEY + self, ListenerHeartbeat.newBuilder().setSessionId("").setInstance(self)
          .setRoomName("").setAt(now).build());
      for (CallSession call : calls.get()) {
        if (call.listening()) {
          send(call.sessionId(), ListenerHeartbeat.newBuilder().setSessionId(call.sessionId()).setInstance(self)
              .setRoomName(call.roomName()).setAt(now).setListeningSince(Instant.ofEpochMilli(call.listeningSince()))
              .build());
        }
      }
    } catch (RuntimeException e) {
      log.warn("cannot write listener heartbeats: {}", e.getMessage());
    }
  }

  private void send(String key, ListenerHeartbeat beat) {
    producer.send(new ProducerRecord<>(Topics.LISTENERS.name(), key,
        Topics.LISTENERS.valueSerde().serializer().serialize(null, beat)));
  }

  /** The call ended: its beat is compacted away. */
  void ended(String session) {
    if (session != null) {
      producer.send(new ProducerRecord<>(Topics.LISTENERS.name(), session, null));
    }
  }

  private PeerWatch.Beat<ListenerHeartbeat> decode(String key, byte[] value) {
    ListenerHeartbeat beat;
    try {
      beat = Topics.LISTENERS.valueSerde().deserializer().deserialize(null, value);
    } catch (RuntimeException unreadable) {
      return null;
    }
    if (!beat.getSessionId().isEmpty() && !beat.getInstance().equals(self) && beat.getListeningSince() != null) {
      for (CallSession call : calls.get()) {
        if (call.sessionId().equals(beat.getSessionId()) && call.listening()
            && yields(call.listeningSince(), self, beat.getListeningSince().toEpochMilli(), beat.getInstance())) {
          call.stepDown(beat.getInstance());
        }
      }
    }
    return new PeerWatch.Beat<>(beat.getSessionId().isEmpty() ? null : beat.getSessionId(), beat.getInstance(), beat);
  }

  /**
   * Of two listeners on one call, the one that began earlier yields: the call was dispatched again because that one
   * was taken for dead, and the later one is where the call's listening now lives. Ties go by instance name.
   */
  static boolean yields(long mySince, String me, long theirSince, String them) {
    return theirSince > mySince || theirSince == mySince && them.compareTo(me) > 0;
  }

  private boolean dealtWith(String session) {
    return dispatched.containsKey(session) || calls.get().stream().anyMatch(c -> session.equals(c.sessionId()));
  }

  private void takeOver(String instance, long silentMs, List<PeerWatch.Beat<ListenerHeartbeat>> lost) {
    String first = watch.alive(SUSPECT_MS).stream().min(Comparator.naturalOrder()).orElse(self);
    if (!first.equals(self) && silentMs < ANYONE_AFTER_MS) {
      return; // the first alive instance by name dispatches them
    }
    log.info("ingress-worker {} silent for {} ms: dispatching its {} call(s) again", instance, silentMs, lost.size());
    for (PeerWatch.Beat<ListenerHeartbeat> call : lost) {
      dispatched.put(call.session(), System.currentTimeMillis());
      beats.execute(() -> {
        String room = call.value().getRoomName();
        if (!orphans.callerIn(room)) {
          log.info("session {}: nobody left in room {}; not dispatched again", call.session(), room);
          return;
        }
        try {
          orphans.dispatchAgain(call.session(), room);
          log.info("session {}: its listener {} is gone; dispatched again in room {}", call.session(), instance, room);
        } catch (java.io.IOException | RuntimeException e) {
          log.warn("session {}: cannot dispatch it again in room {}: {}", call.session(), room, e.getMessage());
        }
      });
    }
  }

  @Override
  public void close() {
    beats.shutdownNow();
    if (watch != null) {
      watch.close();
    }
  }
}
