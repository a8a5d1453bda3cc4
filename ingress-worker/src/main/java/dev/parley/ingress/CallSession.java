package dev.parley.ingress;

import dev.parley.events.SessionEnded;
import dev.parley.schemas.Identities;
import dev.parley.livekit.Job;
import dev.parley.livekit.Participant;
import dev.parley.livekit.RoomListener;
import dev.parley.livekit.RoomParticipant;
import dev.parley.speech.TurnDetector;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One caller in one room: joins it, listens to the caller's microphone only (never to agent participants, so the
 * agent never hears itself), publishes the session's start and end, and leaves the call to another listener when
 * asked. The caller's speech and turns are {@link CallerTurns}'.
 */
final class CallSession implements RoomListener {
  private static final Logger log = LoggerFactory.getLogger(CallSession.class);
  private final Job job;
  private final String sessionId;
  private final IngressConfig config;
  private final Ears ears;
  private final Consumer<CallSession> onEnd;
  private final CallEvents events;
  private final CallerTurns turns;
  private RoomParticipant room;
  private volatile String caller;
  private volatile boolean ended;
  /** When this instance began listening to the caller (epoch ms), 0 before. */
  private volatile long listeningSince;
  /** This instance left the call to another listener: the session goes on without it. */
  private volatile boolean steppedDown;
  private final StepDown stepDown;
  /** The session this job continues (its listener crashed), or null for a new call. */
  private final String resumes;

  CallSession(Job job, IngressConfig config, Producer<String, byte[]> producer, Ears ears,
      dev.parley.speech.VoiceActivity vad, ExecutorService sttPool, Consumer<CallSession> onEnd) {
    this.job = job;
    this.resumes = Orphans.resumedSession(job.metadata());
    this.sessionId = resumes != null ? resumes : "s-" + job.id();
    this.config = config;
    this.ears = ears;
    this.onEnd = onEnd;
    this.events = new CallEvents(sessionId, producer);
    this.stepDown = new StepDown(sessionId, this::leave);
    this.turns = new CallerTurns(sessionId, config, ears, vad, sttPool, events, () -> ended, stepDown::turnDone);
  }

  String sessionId() {
    return sessionId;
  }

  /** Whether this session has its caller and has not ended: it is listened to, and said so every 250 ms. */
  synchronized boolean listening() {
    return caller != null && !ended;
  }

  String roomName() {
    return job.room();
  }

  /** Lets {@code model} (Smart Turn) end a turn that sounds finished at the first pause; null: silence alone. */
  void endOfTurn(TurnDetector.EndOfTurn model) {
    turns.endOfTurn(model);
  }

  /** When this instance began listening to the caller (epoch ms; 0 before the caller was found). */
  long listeningSince() {
    return listeningSince;
  }

  boolean steppedDown() {
    return steppedDown;
  }

  /** Another instance listens to this call too and began later: this one leaves it ({@link StepDown}), the session goes on. */
  void stepDown(String successor) {
    if (!ended) {
      stepDown.ask(successor, turns::ifInTurn);
    }
  }

  /** For a resumed session: the next turn is numbered after those the listener before published. */
  void continueAfter(java.util.function.Supplier<Orphans.Left> leftOf) {
    turns.continueAfter(leftOf);
  }

  private void leave(String successor) {
    synchronized (this) {
      if (ended) {
        return;
      }
      ended = true;
      steppedDown = true;
    }
    log.info("session {}: {} listens to this call now; this instance stepped down (the session goes on)", sessionId,
        successor);
    turns.stop();
    job.succeeded();
    if (room != null) {
      room.close();
    }
    onEnd.accept(this);
  }

  boolean resumed() {
    return resumes != null;
  }

  void start() {
    // subscribe to callers' microphones only: never to an agent's voice, so the agent never hears itself
    room = RoomParticipant.join(job.url(), job.token(), this, config.loopbackOnly(), Duration.ofSeconds(20),
        Participant::caller);
    events.room(room);
    job.running();
    room.participants().forEach(identity -> {
      Participant present = room.participant(identity);
      if (present != null) {
        onParticipantJoined(identity, present.metadata());
      }
    });
  }

  @Override
  public synchronized void onParticipantJoined(String identity, String metadata) {
    Participant info = room == null ? null : room.participant(identity);
    if (caller != null || info == null || !info.caller()) {
      return;
    }
    caller = identity;
    listeningSince = System.currentTimeMillis();
    ears.agents().watch(sessionId);
    if (resumes != null) { // the session began with the listener that crashed: started and routed already
      log.info("session {} resumed for {} in room {} by job {} (from turn {})", sessionId, identity, job.room(),
          job.id(), turns.nextTurn());
      turns.checkLostWords();
      return;
    }
    events.started(job, info, metadata, room.roomMetadata().isBlank() ? job.metadata() : room.roomMetadata());
    log.info("session {} started for {} in room {}", sessionId, identity, job.room());
  }

  /**
   * The caller may end the session from the page ({@link CallerControl}), and so may the agent's voice when the agent
   * ends the call (its built-in end_call, just before it closes the room); nobody else in the room may.
   */
  @Override
  public void onData(String fromIdentity, String topic, byte[] payload) {
    if (Identities.isVoice(fromIdentity) && CallerControl.of(topic, payload) == CallerControl.Request.END_SESSION) {
      log.info("session {}: the agent ended the call", sessionId);
      end("agent_ended");
      return;
    }
    if (caller == null || !caller.equals(fromIdentity)) {
      return;
    }
    switch (CallerControl.of(topic, payload)) {
      case END_SESSION -> {
        log.info("session {}: the caller ended the call", sessionId);
        end("caller_ended");
      }
      case UNREADABLE -> log.info("session {}: ignored an unreadable control message from the caller", sessionId);
      case NONE -> { }
    }
  }

  @Override
  public void onParticipantLeft(String identity) {
    if (identity.equals(caller)) {
      end("caller_left");
    }
  }

  @Override
  public void onAudio(String participant, String trackSid, byte[] pcm, int sampleRate, int channels) {
    if (ended || caller == null || !participant.equals(caller) || sampleRate != 48_000 || channels != 1) {
      return;
    }
    turns.hear(participant, trackSid, pcm);
  }

  @Override
  public void onDisconnected(String reason) {
    end("room_closed: " + reason);
  }

  synchronized void end(String reason) {
    if (ended) {
      return;
    }
    ended = true;
    log.info("session {} in room {} ended: {}", sessionId, job.room(), reason);
    turns.stop(); // the caller may have left mid-turn
    if (caller != null) {
      events.session(new SessionEnded(sessionId, reason, Instant.now()));
    }
    ears.agents().forget(sessionId);
    job.succeeded();
    if (room != null) {
      room.close();
    }
    onEnd.accept(this);
  }
}
