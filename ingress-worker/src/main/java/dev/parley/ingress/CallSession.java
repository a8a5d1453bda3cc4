package dev.parley.ingress;

import dev.parley.schemas.TurnId;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserSpeechStarted;
import dev.parley.events.UserSpeechStopped;
import dev.parley.events.UserTurn;
import dev.parley.livekit.Job;
import dev.parley.livekit.RoomListener;
import dev.parley.livekit.Participant;
import dev.parley.livekit.RoomParticipant;
import dev.parley.schemas.Topics;
import dev.parley.speech.Pcm;
import dev.parley.speech.SpeechToText;
import dev.parley.speech.TurnDetector;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One caller in one room: listens to the caller's microphone only (never to agent participants, so
 * the agent never hears itself), finds speech and the end of each turn, transcribes it, and
 * publishes the session's events keyed by session id.
 */
final class CallSession implements RoomListener, TurnDetector.Listener {
  private static final Logger log = LoggerFactory.getLogger(CallSession.class);
  private final Job job;
  private final String sessionId;
  private final IngressConfig config;
  private final Producer<String, byte[]> producer;
  private final Ears ears;
  private final ExecutorService sttPool;
  private final Consumer<CallSession> onEnd;
  private final TurnDetector detector;
  private RoomParticipant room;
  private SpeechToText.Stream listening; // the turn in progress, heard while the caller speaks (under detector's lock)
  private SpeechToText listeningWith;
  private boolean hearing; // the caller's first audio frame has arrived (under detector's lock)
  private volatile String caller;
  private int turnIndex;
  private String judged = ""; // what the end-of-turn model said of the last pause (under detector's lock)
  private int speechIndex;
  /** Done when the last UserSpeechStopped (and its draft transcript) was handed to the producer. */
  private CompletableFuture<Void> stopPublished = CompletableFuture.completedFuture(null);
  private volatile boolean ended;
  /** When this instance began listening to the caller (epoch ms), 0 before. */
  private volatile long listeningSince;
  /** This instance left the call to another listener: the session goes on without it. */
  private volatile boolean steppedDown;
  /** Another listener took over while a turn was being heard here: leave once that turn is transcribed. */
  private volatile String stepDownAfterTurn;
  /** The session this job continues (its listener crashed), or null for a new call. */
  private final String resumes;
  static final String CONTROL_TOPIC = "parley-control";
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** How the caller is heard: the routed agent's stt_config, else the worker's offline engine and defaults. */
  record Ears(SpeechToText offline, dev.parley.speech.SpeechProviders providers, SessionAgents agents) {
    SpeechToText engineFor(String sessionId) {
      return agents.configOf(sessionId).map(c -> c.sttConfig())
          .map(stt -> providers.ears(stt.provider(), stt.language())).orElse(offline);
    }

    java.util.OptionalInt endpointingFor(String sessionId) {
      return agents.configOf(sessionId).map(c -> c.sttConfig()).filter(stt -> stt.endpointingMs() != null)
          .map(stt -> java.util.OptionalInt.of(stt.endpointingMs())).orElse(java.util.OptionalInt.empty());
    }
  }

  CallSession(Job job, IngressConfig config, Producer<String, byte[]> producer, Ears ears,
      dev.parley.speech.VoiceActivity vad, ExecutorService sttPool, Consumer<CallSession> onEnd) {
    this.job = job;
    this.resumes = resumedSession(job.metadata());
    this.sessionId = resumes != null ? resumes : "s-" + job.id();
    this.config = config;
    this.producer = producer;
    this.ears = ears;
    this.sttPool = sttPool;
    this.onEnd = onEnd;
    this.detector = new TurnDetector(this, vad, 200, config.endpointingMs());
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
    synchronized (detector) {
      detector.endOfTurn(model);
    }
  }

  /** The session id a re-dispatched job continues, from its metadata; null when it is a new call or the id is not ours. */
  static String resumedSession(String metadata) {
    try {
      com.fasterxml.jackson.databind.JsonNode node = JSON.readTree(metadata == null || metadata.isBlank() ? "{}" : metadata);
      String id = node == null ? null : node.path(Orphans.RESUME_KEY).asText(null);
      return id != null && id.matches("s-[A-Za-z0-9_-]{1,64}") ? id : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /**
   * For a resumed session: numbers the next turn after those already transcribed, as {@code leftOf} reads them (read
   * again before the caller is asked to repeat: a listener only thought dead may still publish the turn it heard).
   */
  void continueAfter(java.util.function.Supplier<Orphans.Left> leftOf) {
    Orphans.Left left = leftOf.get();
    turnIndex = left.turns();
    speechIndex = 10_000 + left.turns() * 100; // speech ids of the old listener stay unique
    wordsLost = left.turnInFlight();
    leftAgain = leftOf;
  }

  private java.util.function.Supplier<Orphans.Left> leftAgain = () -> new Orphans.Left(0, false);

  /** When this instance began listening to the caller (epoch ms; 0 before the caller was found). */
  long listeningSince() {
    return listeningSince;
  }

  boolean steppedDown() {
    return steppedDown;
  }

  /**
   * Another instance listens to this call too and began later: this one had been taken for dead (it was only slow)
   * and the call was dispatched again. This one leaves, without ending the session; a turn it is hearing is
   * transcribed and published first (the other heard only its end; the same turn number is answered once).
   */
  void stepDown(String successor) {
    synchronized (detector) {
      if (ended || stepDownAfterTurn != null) {
        return;
      }
      if (inTurn) {
        stepDownAfterTurn = successor;
        log.info("session {}: {} listens to this call too; leaving it once the turn being heard is transcribed",
            sessionId, successor);
        return;
      }
    }
    leave(successor);
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
    synchronized (detector) {
      if (listening != null) {
        listening.close();
        listening = null;
      }
    }
    job.succeeded();
    if (room != null) {
      room.close();
    }
    onEnd.accept(this);
  }

  /** The caller was speaking when the listener before this one died: those words are gone. */
  private volatile boolean wordsLost;
  /** A turn is being heard (between speech start and the turn's end, under detector's lock). */
  private boolean inTurn;

  /**
   * For a resumed session whose caller was speaking when its listener died: once this listener hears the caller's
   * microphone, if the caller is still speaking, the rest of what they say is transcribed as a turn (the words captured
   * again); if not, a turn with {@code audio_lost} goes out and the agent asks them to say it again. Never dropped
   * silently.
   */
  private void checkLostWords() {
    if (!wordsLost) {
      return;
    }
    CompletableFuture.runAsync(() -> {
      long deadline = System.currentTimeMillis() + 10_000;
      while (!ended && System.currentTimeMillis() < deadline) {
        synchronized (detector) {
          if (hearing) {
            break;
          }
        }
        sleep(100);
      }
      sleep(LOST_WORDS_LISTEN_MS); // long enough for the voice activity detector to hear speech in progress
      Orphans.Left left = leftAgain.get();
      int index;
      synchronized (detector) {
        if (left.turns() > turnIndex) { // the listener taken for dead was alive and published the turn after all
          log.info("session {}: the turn begun before the take-over was published by the earlier listener", sessionId);
          turnIndex = left.turns();
          return;
        }
        if (ended || inTurn) {
          if (inTurn) {
            log.info("session {}: the caller is still speaking; the rest of the turn begun before the crash is heard",
                sessionId);
          }
          return;
        }
        index = turnIndex++;
      }
      Instant now = Instant.now();
      log.info("session {}: the caller's words when the listener died are lost; turn {} asks them to say it again",
          sessionId, index);
      publishUser(new UserEvent(UserTurn.newBuilder().setSessionId(sessionId).setTurnId(TurnId.line(sessionId, index).toString())
          .setTurnIndex(index).setTranscript("").setConfidence(0).setSpeechStartedAt(now).setSpeechStoppedAt(now)
          .setTranscribedAt(now).setSttProvider("none").setSttLatencyMs(0).setAudioLost(true).build()));
    });
  }

  static final long LOST_WORDS_LISTEN_MS = 400;

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  boolean resumed() {
    return resumes != null;
  }

  void start() {
    // subscribe to callers' microphones only: never to an agent's voice, so the agent never hears itself
    room = RoomParticipant.join(job.url(), job.token(), this, config.loopbackOnly(), Duration.ofSeconds(20),
        Participant::caller);
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
          job.id(), turnIndex);
      checkLostWords();
      return;
    }
    Map<String, String> attributes = info.attributes();
    String userId = attributes.getOrDefault("user_id", userIdOf(metadata));
    String roomMetadata = room.roomMetadata().isBlank() ? job.metadata() : room.roomMetadata();
    // read as the router reads it: the token's participant metadata (where the token service puts the tenant of
    // the key that asked for it) over the room's, attributes last
    String tenant = dev.parley.routing.SessionMetadata.parse(roomMetadata, metadata, attributes).tenantId();
    publishSession(SessionStarted.newBuilder().setSessionId(sessionId).setRoomName(job.room())
        .setRoomSid(job.roomSid()).setParticipantIdentity(identity).setParticipantSid(info.sid())
        .setUserId(userId).setTenantId(tenant).setRoomMetadata(roomMetadata)
        .setParticipantMetadata(metadata == null ? "" : metadata).setParticipantAttributes(attributes)
        .setJobId(job.id()).setStartedAt(Instant.now()).build());
    log.info("session {} started for {} in room {}", sessionId, identity, job.room());
  }

  /** The caller's {@code user_id} from its metadata JSON, or null. */
  static String userIdOf(String metadata) {
    try {
      com.fasterxml.jackson.databind.JsonNode node = JSON.readTree(metadata == null ? "" : metadata);
      return node != null && node.path("user_id").isTextual() ? node.get("user_id").asText() : null;
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /** The caller may end the session from the page ({@code end_session} on {@value #CONTROL_TOPIC}): the agent then summarizes it. */
  @Override
  public void onData(String fromIdentity, String topic, byte[] payload) {
    if (!CONTROL_TOPIC.equals(topic) || caller == null || !caller.equals(fromIdentity)) {
      return;
    }
    try {
      if ("end_session".equals(JSON.readTree(payload).path("type").asText())) {
        log.info("session {}: the caller ended the call", sessionId);
        end("caller_ended");
      }
    } catch (java.io.IOException e) {
      log.info("session {}: ignored an unreadable control message from the caller", sessionId);
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
    synchronized (detector) {
      if (!hearing) {
        hearing = true;
        log.info("session {}: hearing {} (track {}), voice activity by {}", sessionId, participant, trackSid,
            detector.vad().name());
      }
      detector.frame(Pcm.samples(pcm), System.currentTimeMillis());
    }
  }

  @Override
  public void onDisconnected(String reason) {
    end("room_closed: " + reason);
  }

  @Override
  public void onSpeechStarted(long atMillis) {
    ears.endpointingFor(sessionId).ifPresent(detector::endpointingMs); // the agent's, from this turn on
    inTurn = true;
    speechIndex++;
    publishUser(new UserEvent(new UserSpeechStarted(sessionId, sessionId + "#sp" + speechIndex,
        Instant.ofEpochMilli(atMillis))));
  }

  /**
   * The caller's voice stopped; the turn may or may not be over. With PARLEY_READ_AHEAD the words so far are
   * transcribed now, while the end of the turn is still being judged, and go out with the event as its draft:
   * the agent's model reads them ahead, so that when the turn is confirmed its words are already in the model's
   * cache. The turn itself is published after this event, never before.
   */
  @Override
  public void onSpeechStopped(long startedAtMillis, long stoppedAtMillis) {
    String speechId = sessionId + "#sp" + speechIndex;
    int index = turnIndex;
    Consumer<String> publish = draft -> publishUser(new UserEvent(new UserSpeechStopped(sessionId,
        speechId, Instant.ofEpochMilli(startedAtMillis), Instant.ofEpochMilli(stoppedAtMillis), draft,
        draft == null ? null : index)));
    SpeechToText.Stream heard = config.readAhead() ? listening : null;
    if (heard == null) {
      publish.accept(null);
      return;
    }
    try {
      stopPublished = CompletableFuture.runAsync(() -> {
        String draft = null;
        try {
          draft = heard.draft().map(SpeechToText.Transcript::text).filter(t -> !t.isBlank()).orElse(null);
        } catch (RuntimeException e) { // a draft is only a head start: the turn is transcribed again at its end
          log.debug("session {}: no draft transcript ({})", sessionId, e.toString());
        }
        publish.accept(draft);
      }, sttPool);
    } catch (java.util.concurrent.RejectedExecutionException closing) { // no draft then, but the event goes out
      stopPublished = CompletableFuture.completedFuture(null);
      publish.accept(null);
    }
  }

  @Override
  public void onTurnAudio(short[] pcm16k) {
    if (listening == null) { // the turn's first audio: its engine starts listening now, not when it ends
      listeningWith = ears.engineFor(sessionId);
      listening = listeningWith.stream();
    }
    listening.write(pcm16k);
  }

  @Override
  public void onTurnJudged(double probability, long millis) {
    judged = String.format(java.util.Locale.ROOT, "%s (Smart Turn %.2f in %d ms)",
        probability >= TurnDetector.END_OF_TURN_THRESHOLD ? "its voice" : "silence", probability, millis);
  }

  @Override
  public void onTurnEnded(long startedAtMillis, long stoppedAtMillis, short[] pcm16k) {
    inTurn = false;
    int index = turnIndex++;
    long endOfSpeech = System.currentTimeMillis();
    String endedBy = (judged.isEmpty() ? "silence" : judged) + ", " + (endOfSpeech - stoppedAtMillis)
        + " ms after the last speech";
    judged = "";
    SpeechToText.Stream heard = listening;
    SpeechToText engine = listeningWith;
    CompletableFuture<Void> stopped = stopPublished;
    listening = null;
    listeningWith = null;
    sttPool.execute(() -> {
      SpeechToText stt = engine != null ? engine : ears.engineFor(sessionId);
      SpeechToText.Transcript transcript;
      try {
        transcript = heard != null ? heard.finish() : stt.transcribe(pcm16k);
      } catch (RuntimeException e) { // a cloud engine down: the turn is still heard, offline
        log.warn("session {}: {} failed ({}); this turn is transcribed by {}", sessionId, stt.name(), e.getMessage(),
            ears.offline().name());
        stt = ears.offline();
        transcript = stt.transcribe(pcm16k);
      }
      SpeechToText heardBy = stt;
      log.info("session {}: turn {} ({} ms of speech; ended by {}) heard by {}, transcript {} ms after the turn ended,"
          + " {} words", sessionId, index, stoppedAtMillis - startedAtMillis, endedBy, stt.name(),
          System.currentTimeMillis() - endOfSpeech,
          transcript.text().isBlank() ? 0 : transcript.text().split("\\s+").length);
      if (transcript.text().isBlank()) {
        log.info("session {}: a turn with no words recognized was dropped", sessionId);
        leaveIfAsked();
        return;
      }
      try {
        stopped.join(); // the draft goes out before the turn it anticipates
      } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
        // the draft was lost; the turn is what counts
      }
      publishUser(new UserEvent(UserTurn.newBuilder().setSessionId(sessionId).setTurnId(TurnId.line(sessionId, index).toString())
          .setTurnIndex(index).setTranscript(transcript.text()).setConfidence(transcript.confidence())
          .setSpeechStartedAt(Instant.ofEpochMilli(startedAtMillis))
          .setSpeechStoppedAt(Instant.ofEpochMilli(stoppedAtMillis)).setTranscribedAt(Instant.now())
          .setSttProvider(heardBy.name()).setSttLatencyMs((int) (System.currentTimeMillis() - endOfSpeech))
          .setLanguage("en-US").build()));
      leaveIfAsked();
    });
  }

  /** A successor asked this listener to leave while it heard a turn: that turn is out (or had no words), so it leaves. */
  private void leaveIfAsked() {
    String successor = stepDownAfterTurn;
    if (successor != null) {
      leave(successor);
    }
  }

  synchronized void end(String reason) {
    if (ended) {
      return;
    }
    ended = true;
    log.info("session {} in room {} ended: {}", sessionId, job.room(), reason);
    synchronized (detector) {
      if (listening != null) { // the caller left mid-turn
        listening.close();
        listening = null;
      }
    }
    if (caller != null) {
      publishSession(new SessionEnded(sessionId, reason, Instant.now()));
    }
    ears.agents().forget(sessionId);
    job.succeeded();
    if (room != null) {
      room.close();
    }
    onEnd.accept(this);
  }

  private void publishSession(Object event) {
    producer.send(new ProducerRecord<>(Topics.SESSIONS.name(), sessionId, Topics.SESSIONS.valueSerde().serializer()
        .serialize(null, new SessionEvent(event))));
  }

  private void publishUser(UserEvent event) {
    producer.send(new ProducerRecord<>(Topics.USER_TURNS.name(), sessionId, Topics.USER_TURNS.valueSerde()
        .serializer().serialize(null, event)));
  }
}
