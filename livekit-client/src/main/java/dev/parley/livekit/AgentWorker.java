package dev.parley.livekit;

import dev.parley.schemas.Identities;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.parley.livekit.internal.BinaryWebSocket;
import io.livekit.server.AccessToken;
import io.livekit.server.Agent;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import livekit.LivekitAgent.AvailabilityRequest;
import livekit.LivekitAgent.AvailabilityResponse;
import livekit.LivekitAgent.JobAssignment;
import livekit.LivekitAgent.JobStatus;
import livekit.LivekitAgent.JobType;
import livekit.LivekitAgent.MigrateJobRequest;
import livekit.LivekitAgent.RegisterWorkerRequest;
import livekit.LivekitAgent.ServerMessage;
import livekit.LivekitAgent.UpdateJobStatus;
import livekit.LivekitAgent.UpdateWorkerStatus;
import livekit.LivekitAgent.WorkerMessage;
import livekit.LivekitAgent.WorkerStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A LiveKit agent worker over the {@code /agent} WebSocket protocol: registers an agent name, reports
 * load every 2.5 s, answers job offers through a {@link JobHandler}, receives assignments (with the
 * server-signed room token), reports job status, and reconnects with back-off when the connection
 * drops, re-registering and migrating its running jobs.
 *
 * <pre>
 * AgentWorker worker = AgentWorker.builder().url("ws://127.0.0.1:7880").credentials("devkey", "secret")
 *     .agentName("parley").handler(job -&gt; join(job)).build();
 * worker.start();
 * </pre>
 */
public final class AgentWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AgentWorker.class);
  private static final Duration STATUS_EVERY = Duration.ofMillis(2500);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(15);

  private final String url;
  private final String apiKey;
  private final String apiSecret;
  private final String agentName;
  private final int maxJobs;
  private final JobHandler handler;
  private final WorkerListener listener;
  private final Map<String, Job> jobs = new ConcurrentHashMap<>();
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "livekit-agent-worker");
    t.setDaemon(true);
    return t;
  });
  private volatile BinaryWebSocket socket;
  private volatile String workerId;
  private volatile boolean closed;
  private ScheduledFuture<?> statusTask;
  private int failedAttempts;

  private AgentWorker(Builder builder) {
    this.url = Objects.requireNonNull(builder.url, "url").replaceAll("/+$", "");
    this.apiKey = Objects.requireNonNull(builder.apiKey, "apiKey");
    this.apiSecret = Objects.requireNonNull(builder.apiSecret, "apiSecret");
    this.agentName = Objects.requireNonNull(builder.agentName, "agentName");
    this.maxJobs = builder.maxJobs;
    this.handler = Objects.requireNonNull(builder.handler, "handler");
    this.listener = builder.listener;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Connects (in the background); {@link WorkerListener#onRegistered} tells when the server has us. */
  public void start() {
    scheduler.execute(this::connect);
  }

  /** The id the server gave this worker, or null while not registered. */
  public String workerId() {
    return workerId;
  }

  public List<Job> jobs() {
    return List.copyOf(jobs.values());
  }

  private void connect() {
    if (closed) {
      return;
    }
    try {
      socket = BinaryWebSocket.open(URI.create(url + "/agent"), Map.of("Authorization", "Bearer " + workerToken()),
          this::onMessage, this::onClosed);
      send(WorkerMessage.newBuilder().setRegister(RegisterWorkerRequest.newBuilder()
          .setType(JobType.JT_ROOM).setAgentName(agentName).setVersion("parley-0.1")).build());
    } catch (RuntimeException e) {
      onClosed("cannot connect to " + url + ": " + e.getMessage());
    }
  }

  private String workerToken() {
    AccessToken token = new AccessToken(apiKey, apiSecret);
    token.setIdentity("worker-" + agentName);
    token.setTtl(Duration.ofMinutes(10).toMillis());
    token.addGrants(new Agent(true));
    return token.toJwt();
  }

  private void onMessage(byte[] bytes) {
    ServerMessage message;
    try {
      message = ServerMessage.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      log.warn("unreadable message from the LiveKit server ({} bytes): {}", bytes.length, e.getMessage());
      return;
    }
    scheduler.execute(() -> handle(message));
  }

  private void handle(ServerMessage message) {
    switch (message.getMessageCase()) {
      case REGISTER -> registered(message.getRegister().getWorkerId());
      case AVAILABILITY -> offer(message.getAvailability());
      case ASSIGNMENT -> assigned(message.getAssignment());
      case TERMINATION -> {
        Job job = jobs.remove(message.getTermination().getJobId());
        if (job != null) {
          handler.onTermination(job);
        }
      }
      default -> { } // pong and future messages
    }
  }

  private void registered(String id) {
    failedAttempts = 0;
    workerId = id;
    log.info("agent worker '{}' registered as {}", agentName, id);
    if (!jobs.isEmpty()) {
      send(WorkerMessage.newBuilder().setMigrateJob(MigrateJobRequest.newBuilder().addAllJobIds(jobs.keySet()))
          .build());
    }
    if (statusTask != null) {
      statusTask.cancel(false);
    }
    statusTask = scheduler.scheduleAtFixedRate(this::reportStatus, 0, STATUS_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    listener.onRegistered(id);
  }

  private void reportStatus() {
    boolean full = jobs.size() >= maxJobs;
    send(WorkerMessage.newBuilder().setUpdateWorker(UpdateWorkerStatus.newBuilder()
        .setStatus(full ? WorkerStatus.WS_FULL : WorkerStatus.WS_AVAILABLE)
        .setLoad(Math.min(1f, jobs.size() / (float) maxJobs)).setJobCount(jobs.size())).build());
  }

  private void offer(AvailabilityRequest request) {
    var job = request.getJob();
    boolean accept = jobs.size() < maxJobs && handler.accept(new JobHandler.JobRequest(job.getId(),
        job.getRoom().getName(), job.getRoom().getSid(), job.getMetadata(), job.getAgentName()));
    send(WorkerMessage.newBuilder().setAvailability(AvailabilityResponse.newBuilder().setJobId(job.getId())
        .setAvailable(accept).setParticipantIdentity(Identities.listener(job.getId())).setParticipantName(agentName)).build());
  }

  private void assigned(JobAssignment assignment) {
    var info = assignment.getJob();
    String joinUrl = assignment.hasUrl() && !assignment.getUrl().isBlank() ? assignment.getUrl() : url;
    Job job = new Job(info.getId(), info.getRoom().getName(), info.getRoom().getSid(), Identities.listener(info.getId()),
        assignment.getToken(), joinUrl, info.getMetadata(), (status, error) -> report(info.getId(), status, error));
    jobs.put(job.id(), job);
    handler.onAssignment(job);
  }

  private void report(String jobId, JobStatus status, String error) {
    if (status != JobStatus.JS_RUNNING) {
      jobs.remove(jobId);
    }
    send(WorkerMessage.newBuilder().setUpdateJob(UpdateJobStatus.newBuilder().setJobId(jobId).setStatus(status)
        .setError(error)).build());
  }

  private void send(WorkerMessage message) {
    BinaryWebSocket current = socket;
    if (current != null) {
      current.send(message.toByteArray());
    }
  }

  private void onClosed(String reason) {
    if (closed) {
      return;
    }
    workerId = null;
    socket = null;
    if (statusTask != null) {
      statusTask.cancel(false);
    }
    failedAttempts++;
    long delay = Math.min(MAX_BACKOFF.toMillis(), 250L << Math.min(6, failedAttempts - 1));
    log.warn("agent worker '{}' disconnected ({}); reconnecting in {} ms", agentName, reason, delay);
    listener.onDisconnected(reason);
    scheduler.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    closed = true;
    BinaryWebSocket current = socket;
    if (current != null) {
      current.close();
    }
    scheduler.shutdownNow();
  }

  /** Builds an {@link AgentWorker}. */
  public static final class Builder {
    private String url;
    private String apiKey;
    private String apiSecret;
    private String agentName;
    private int maxJobs = 20;
    private JobHandler handler;
    private WorkerListener listener = new WorkerListener() { };

    public Builder url(String url) {
      this.url = url;
      return this;
    }

    public Builder credentials(String apiKey, String apiSecret) {
      this.apiKey = apiKey;
      this.apiSecret = apiSecret;
      return this;
    }

    /** The agent name rooms dispatch to (an explicit dispatch is needed for a named agent). */
    public Builder agentName(String agentName) {
      this.agentName = agentName;
      return this;
    }

    /** Jobs this worker takes at once before it reports itself full. */
    public Builder maxJobs(int maxJobs) {
      if (maxJobs < 1) {
        throw new IllegalArgumentException("maxJobs must be at least 1");
      }
      this.maxJobs = maxJobs;
      return this;
    }

    public Builder handler(JobHandler handler) {
      this.handler = handler;
      return this;
    }

    public Builder listener(WorkerListener listener) {
      this.listener = listener;
      return this;
    }

    public AgentWorker build() {
      return new AgentWorker(this);
    }
  }
}
