package dev.parley.ingress;

import dev.parley.events.UserSpeechStarted;
import dev.parley.events.UserSpeechStopped;
import dev.parley.events.UserTurn;
import dev.parley.kit.ServiceMetrics;
import dev.parley.kit.Tracing;
import dev.parley.schemas.TurnId;
import dev.parley.speech.Pcm;
import dev.parley.speech.SpeechToText;
import dev.parley.speech.TurnDetector;
import dev.parley.speech.VoiceActivity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The caller's speech in one call: audio frames in, voice activity and the end of each turn found
 * ({@link TurnDetector}), each turn transcribed while it is spoken and published in order, with its speech start and
 * stop (and, with read-ahead, a draft of the words so far). A resumed call's numbering goes on from the listener
 * before, and words lost with it are asked for again. State shared with the detector is guarded by its lock.
 */
final class CallerTurns implements TurnDetector.Listener {
  private static final Logger log = LoggerFactory.getLogger(CallerTurns.class);
  static final long LOST_WORDS_LISTEN_MS = 400;
  private final String sessionId;
  private final IngressConfig config;
  private final Ears ears;
  private final ExecutorService sttPool;
  private final CallEvents events;
  private final BooleanSupplier ended;
  private final Runnable afterTurn;
  private final TurnDetector detector;
  private SpeechToText.Stream listening; // the turn in progress, heard while the caller speaks (under detector's lock)
  private SpeechToText listeningWith;
  private boolean hearing; // the caller's first audio frame has arrived (under detector's lock)
  private int turnIndex;
  private String judged = ""; // what the end-of-turn model said of the last pause (under detector's lock)
  private int speechIndex;
  /** Done when the last UserSpeechStopped (and its draft transcript) was handed to the producer. */
  private CompletableFuture<Void> stopPublished = CompletableFuture.completedFuture(null);
  /** The caller was speaking when the listener before this one died: those words are gone. */
  private volatile boolean wordsLost;
  /** A turn is being heard (between speech start and the turn's end, under detector's lock). */
  private boolean inTurn;
  private java.util.function.Supplier<Orphans.Left> leftAgain = () -> new Orphans.Left(0, false);

  /** {@code ended}: whether the call is over; {@code afterTurn}: run after each turn is published (or dropped). */
  CallerTurns(String sessionId, IngressConfig config, Ears ears, VoiceActivity vad, ExecutorService sttPool,
      CallEvents events, BooleanSupplier ended, Runnable afterTurn) {
    this.sessionId = sessionId;
    this.config = config;
    this.ears = ears;
    this.sttPool = sttPool;
    this.events = events;
    this.ended = ended;
    this.afterTurn = afterTurn;
    this.detector = new TurnDetector(this, vad, 200, config.endpointingMs());
  }

  /** Lets {@code model} (Smart Turn) end a turn that sounds finished at the first pause; null: silence alone. */
  void endOfTurn(TurnDetector.EndOfTurn model) {
    synchronized (detector) {
      detector.endOfTurn(model);
    }
  }

  /** The number the next turn gets. */
  int nextTurn() {
    return turnIndex;
  }

  /** One frame of the caller's microphone (48 kHz mono PCM). */
  void hear(String participant, String trackSid, byte[] pcm) {
    synchronized (detector) {
      if (!hearing) {
        hearing = true;
        log.info("session {}: hearing {} (track {}), voice activity by {}", sessionId, participant, trackSid,
            detector.vad().name());
      }
      detector.frame(Pcm.samples(pcm), System.currentTimeMillis());
    }
  }

  /** Runs {@code action} if a turn is being heard now (atomically with the turn's end); true if it ran. */
  boolean ifInTurn(Runnable action) {
    synchronized (detector) {
      if (inTurn) {
        action.run();
      }
      return inTurn;
    }
  }

  /** Stops hearing the turn in progress (the call is over here). */
  void stop() {
    synchronized (detector) {
      if (listening != null) {
        listening.close();
        listening = null;
      }
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

  /**
   * For a resumed session whose caller was speaking when its listener died: once this listener hears the caller's
   * microphone, if the caller is still speaking, the rest of what they say is transcribed as a turn (the words captured
   * again); if not, a turn with {@code audio_lost} goes out and the agent asks them to say it again. Never dropped
   * silently.
   */
  void checkLostWords() {
    if (!wordsLost) {
      return;
    }
    CompletableFuture.runAsync(() -> {
      long deadline = System.currentTimeMillis() + 10_000;
      while (!ended.getAsBoolean() && System.currentTimeMillis() < deadline) {
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
        if (ended.getAsBoolean() || inTurn) {
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
      events.user((UserTurn.newBuilder().setSessionId(sessionId).setTurnId(TurnId.line(sessionId, index).toString())
          .setTurnIndex(index).setTranscript("").setConfidence(0).setSpeechStartedAt(now).setSpeechStoppedAt(now)
          .setTranscribedAt(now).setSttProvider("none").setSttLatencyMs(0).setAudioLost(true).build()));
    });
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void onSpeechStarted(long atMillis) {
    ears.endpointingFor(sessionId).ifPresent(detector::endpointingMs); // the agent's, from this turn on
    inTurn = true;
    speechIndex++;
    events.user((new UserSpeechStarted(sessionId, sessionId + "#sp" + speechIndex,
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
    Consumer<String> publish = draft -> events.user((new UserSpeechStopped(sessionId,
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
        ServiceMetrics.providerCall("stt", stt.name(), false);
        log.warn("session {}: {} failed ({}); this turn is transcribed by {}", sessionId, stt.name(), e.getMessage(),
            ears.offline().name());
        stt = ears.offline();
        transcript = stt.transcribe(pcm16k);
      }
      SpeechToText heardBy = stt;
      ServiceMetrics.providerCall("stt", stt.name(), true);
      ServiceMetrics.stageMs(ServiceMetrics.STT, "", endOfSpeech, System.currentTimeMillis());
      log.info("session {}: turn {} ({} ms of speech; ended by {}) heard by {}, transcript {} ms after the turn ended,"
          + " {} words", sessionId, index, stoppedAtMillis - startedAtMillis, endedBy, stt.name(),
          System.currentTimeMillis() - endOfSpeech,
          transcript.text().isBlank() ? 0 : transcript.text().split("\\s+").length);
      if (transcript.text().isBlank()) {
        log.info("session {}: a turn with no words recognized was dropped", sessionId);
        afterTurn.run();
        return;
      }
      try {
        stopped.join(); // the draft goes out before the turn it anticipates
      } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
        // the draft was lost; the turn is what counts
      }
      // the turn's trace begins when the caller's turn ended; its stt span is the wait for the words
      String turnId = TurnId.line(sessionId, index).toString();
      Span trace = Tracing.span("caller turn", Context.root(), Instant.ofEpochMilli(endOfSpeech), SpanKind.PRODUCER);
      trace.setAttribute("parley.session", sessionId);
      trace.setAttribute("parley.turn", turnId);
      Tracing.span("stt " + heardBy.name(), Context.root().with(trace), Instant.ofEpochMilli(endOfSpeech),
          SpanKind.INTERNAL).end();
      events.user((UserTurn.newBuilder().setSessionId(sessionId).setTurnId(turnId)
          .setTurnIndex(index).setTranscript(transcript.text()).setConfidence(transcript.confidence())
          .setSpeechStartedAt(Instant.ofEpochMilli(startedAtMillis))
          .setSpeechStoppedAt(Instant.ofEpochMilli(stoppedAtMillis)).setTranscribedAt(Instant.now())
          .setSttProvider(heardBy.name()).setSttLatencyMs((int) (System.currentTimeMillis() - endOfSpeech))
          .setLanguage("en-US").build()), trace);
      trace.end();
      afterTurn.run();
    });
  }
}
