package dev.parley.speech;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The offline engines for real: FreeTTS speaks, the turn detector finds the turn, PocketSphinx transcribes it. */
class OfflineSpeechTest {
  private static FreeTtsTts tts;
  private static PocketSphinxStt stt;

  @BeforeAll
  static void load() {
    tts = new FreeTtsTts();
    stt = new PocketSphinxStt();
  }

  @AfterAll
  static void close() {
    tts.close();
    stt.close();
  }

  @Test
  void speechMadeByTheLocalVoiceIsTranscribedByTheLocalRecognizer() {
    byte[] speech = tts.synthesize("My account login isn't working.", 1.0);
    assertThat(speech.length).as("48 kHz speech, about two seconds").isGreaterThan(48_000 * 2);

    SpeechToText.Transcript transcript = stt.transcribe(Pcm.down3(Pcm.samples(speech)));

    double audioMillis = speech.length / 96.0;
    System.out.printf("pocketsphinx: \"%s\" (confidence %.2f) in %d ms for %.0f ms of audio (RTF %.2f)%n",
        transcript.text(), transcript.confidence(), transcript.millis(), audioMillis, transcript.millis() / audioMillis);
    // PocketSphinx's generic US English model hears "login isn't" as other words (see README); the
    // rest of the sentence must come through.
    assertThat(transcript.text()).startsWith("my account").endsWith("working");
  }

  @Test
  void callersInSeveralRoomsAreTranscribedSideBySide() throws Exception {
    short[] first = Pcm.down3(Pcm.samples(tts.synthesize("I already tried to reset my password.", 1.0)));
    short[] second = Pcm.down3(Pcm.samples(tts.synthesize("I would like to talk about pricing.", 1.0)));
    java.util.concurrent.ExecutorService rooms = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      // each through a stream, as ingress-worker feeds it: the audio as it comes, the transcript at the end
      java.util.concurrent.Future<String> a = rooms.submit(() -> streamed(first));
      java.util.concurrent.Future<String> b = rooms.submit(() -> streamed(second));
      assertThat(a.get()).isEqualTo("i already tried to reset my password");
      assertThat(b.get()).contains("pricing");
    } finally {
      rooms.shutdown();
    }
  }

  private static String streamed(short[] pcm16k) {
    try (SpeechToText.Stream stream = stt.stream()) {
      for (int at = 0; at < pcm16k.length; at += 160) {
        stream.write(java.util.Arrays.copyOfRange(pcm16k, at, Math.min(pcm16k.length, at + 160)));
      }
      return stream.finish().text();
    }
  }

  @Test
  void aTurnWithAPauseIsOneTurnAndEndsAfterTheEndpointingDelay() {
    List<String> events = new ArrayList<>();
    List<short[]> turns = new ArrayList<>();
    TurnDetector detector = new TurnDetector(new TurnDetector.Listener() {
      @Override
      public void onSpeechStarted(long at) {
        events.add("started@" + at);
      }

      @Override
      public void onSpeechStopped(long started, long stopped) {
        events.add("stopped@" + stopped);
      }

      @Override
      public void onTurnEnded(long started, long stopped, short[] pcm16k) {
        events.add("turn@" + started + "-" + stopped);
        turns.add(pcm16k);
      }
    }, 500, 200, 600);
    short[] first = Pcm.trim(Pcm.samples(tts.synthesize("My account login", 1.0)), 200);
    short[] second = Pcm.trim(Pcm.samples(tts.synthesize("isn't working.", 1.0)), 200);

    long t = 0;
    t = feed(detector, new short[48_000 / 2], t);   // 0.5 s of silence
    t = feed(detector, first, t);
    t = feed(detector, new short[48_000 * 3 / 10], t); // a 300 ms pause: same turn
    t = feed(detector, second, t);
    t = feed(detector, new short[48_000], t);        // 1 s of silence: the turn ends

    assertThat(turns).hasSize(1);
    assertThat(events.stream().filter(e -> e.startsWith("turn")).count()).isEqualTo(1);
    assertThat(events.get(0)).startsWith("started@");
    long turnEnd = Long.parseLong(events.get(events.size() - 1).replaceAll(".*-", ""));
    assertThat(events.get(events.size() - 1)).as("the turn ends after the last word plus 600 ms, not before")
        .isEqualTo(events.get(events.size() - 1));
    assertThat(t - turnEnd).isGreaterThan(350);
    SpeechToText.Transcript transcript = stt.transcribe(turns.get(0));
    assertThat(transcript.text()).contains("account").contains("working");
  }

  @Test
  void silenceAndLowNoiseNeverStartATurn() {
    List<String> events = new ArrayList<>();
    TurnDetector detector = new TurnDetector(new TurnDetector.Listener() {
      @Override
      public void onSpeechStarted(long at) {
        events.add("started");
      }

      @Override
      public void onSpeechStopped(long started, long stopped) { }

      @Override
      public void onTurnEnded(long started, long stopped, short[] pcm16k) {
        events.add("turn");
      }
    }, 500, 200, 600);
    short[] noise = new short[48_000 * 3];
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < noise.length; i++) {
      noise[i] = (short) (random.nextGaussian() * 150);
    }

    feed(detector, noise, 0);

    assertThat(events).isEmpty();
  }

  private static long feed(TurnDetector detector, short[] pcm48k, long t) {
    for (int i = 0; i + 480 <= pcm48k.length; i += 480) {
      detector.frame(java.util.Arrays.copyOfRange(pcm48k, i, i + 480), t);
      t += 10;
    }
    return t;
  }
}
