package dev.parley.ingress;

import dev.parley.livekit.AgentWorker;
import dev.parley.livekit.Job;
import dev.parley.speech.SpeechProviders;
import dev.parley.speech.SpeechToText;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Parley agent worker: takes every room dispatched to the agent name and runs a {@link CallSession} in it. */
public final class IngressWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(IngressWorker.class);
  private final IngressConfig config;
  private final Producer<String, byte[]> producer;
  private final SpeechToText stt;
  private final ExecutorService sessions = Executors.newCachedThreadPool();
  private final ExecutorService sttPool = Executors.newFixedThreadPool(2);
  private final Map<String, CallSession> running = new ConcurrentHashMap<>();
  private final AgentWorker worker;

  private final SpeechProviders providers;
  private final dev.parley.speech.VoiceActivityDetectors vads;
  private final Orphans orphans;
  private final Listeners listeners;
  private final SessionAgents agents;

  private final dev.parley.speech.TurnDetector.EndOfTurn endOfTurn;

  /** {@code endOfTurn}: the model that judges each pause (Smart Turn), or null for silence alone. */
  IngressWorker(IngressConfig config, SpeechToText stt, SpeechProviders providers,
      dev.parley.speech.TurnDetector.EndOfTurn endOfTurn) {
    this.config = config;
    this.endOfTurn = endOfTurn;
    this.stt = stt;
    this.providers = providers;
    this.vads = dev.parley.speech.VoiceActivityDetectors.choose(config.vad(), config.vadModel(), config.vadFloorRms());
    log.info("voice activity: {}", vads.description());
    this.orphans = new Orphans(config);
    this.agents = SessionAgents.following(config.bootstrapServers());
    dev.parley.kit.ServiceMetrics.sessionsLive(() -> running.values().stream().filter(CallSession::listening).count());
    this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.LINGER_MS_CONFIG, 0),
        new StringSerializer(), new ByteArraySerializer());
    this.listeners = new Listeners(dev.parley.kit.Instance.name("ingress-worker"), config, producer, orphans,
        running::values);
    this.worker = AgentWorker.builder().url(config.livekitUrl()).credentials(config.apiKey(), config.apiSecret())
        .agentName(config.agentName()).maxJobs(config.maxJobs()).handler(new dev.parley.livekit.JobHandler() {
          @Override
          public boolean accept(JobRequest request) {
            return acceptable(request);
          }

          @Override
          public void onAssignment(Job job) {
            assigned(job);
          }
        }).build();
  }

  void start() {
    worker.start();
    listeners.start();
    Thread resume = new Thread(() -> {
      long deadline = System.currentTimeMillis() + 30_000;
      while (worker.workerId() == null && System.currentTimeMillis() < deadline) {
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
      // LiveKit keeps a crashed listener in its room for a while (about 20 s here): look again twice
      for (int round = 0; round < 3; round++) {
        try {
          int again = orphans.redispatch();
          if (again > 0) {
            log.info("{} calls that had lost their listener were dispatched again", again);
          }
        } catch (RuntimeException e) {
          log.warn("cannot look for calls that lost their listener: {}", e.getMessage());
        }
        try {
          Thread.sleep(20_000);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "ingress-resume");
    resume.setDaemon(true);
    resume.start();
  }

  String workerId() {
    return worker.workerId();
  }

  /**
   * A call dispatched again because this instance was taken for dead while only slow (a stall of about a second) is
   * declined here: this instance still listens to it, and the server offers the job to another worker (whose listener
   * then takes the call over, and this one steps down).
   */
  private boolean acceptable(dev.parley.livekit.JobHandler.JobRequest request) {
    String resumes = Orphans.resumedSession(request.metadata());
    if (resumes != null && running.values().stream().anyMatch(s -> s.sessionId().equals(resumes) && s.listening())) {
      log.info("session {}: declined the job dispatched again for it in room {}: this instance still listens to it",
          resumes, request.roomName());
      return false;
    }
    return true;
  }

  private void assigned(Job job) {
    CallSession session = new CallSession(job, config, producer, new Ears(stt, providers, agents), vads.get(),
        sttPool, s -> {
          running.remove(job.id());
          if (!s.steppedDown()) { // a listener that stepped down leaves the call's beat to its successor
            listeners.ended(s.sessionId());
          }
        });
    session.endOfTurn(endOfTurn);
    running.put(job.id(), session);
    sessions.execute(() -> {
      try {
        if (session.resumed()) {
          session.continueAfter(() -> orphans.leftOf(session.sessionId()));
        }
        session.start();
      } catch (RuntimeException e) {
        log.error("job {} in room {} failed to start: {}", job.id(), job.room(), e.getMessage());
        running.remove(job.id());
        job.failed(e.getMessage());
      }
    });
  }

  @Override
  public void close() {
    listeners.close();
    running.values().forEach(s -> s.end("worker_shutdown"));
    worker.close();
    producer.close();
    sessions.shutdownNow();
    sttPool.shutdownNow();
    stt.close();
    agents.close();
  }
}
