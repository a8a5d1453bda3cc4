package dev.parley.livekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parley.localstack.junit.LiveKitExtension;
import dev.parley.localstack.junit.TestLiveKit;
import dev.parley.speech.Pcm;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Real audio through the real LiveKit server: one participant publishes a tone, the other hears it intact. */
@ExtendWith(LiveKitExtension.class)
class RoomAudioIT {

  @Test
  void aPublishedToneArrivesIntactAtTheOtherParticipant(TestLiveKit livekit) throws Exception {
    String room = "audio-" + UUID.randomUUID().toString().substring(0, 6);
    List<short[]> heard = new CopyOnWriteArrayList<>();
    AtomicLong firstLoud = new AtomicLong();
    RoomListener ears = new RoomListener() {
      @Override
      public void onAudio(String participant, String trackSid, byte[] pcm, int sampleRate, int channels) {
        short[] samples = new short[pcm.length / 2];
        ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(samples);
        if (Pcm.rms(samples) > 1000) {
          firstLoud.compareAndSet(0, System.nanoTime());
          if (participant.equals("speaker") && sampleRate == 48_000 && channels == 1) {
            heard.add(samples);
          }
        }
      }
    };
    try (RoomParticipant listener = RoomParticipant.join(livekit.wsUrl(),
        RoomParticipantIT.token(room, "listener"), ears, true, Duration.ofSeconds(20));
        RoomParticipant speaker = RoomParticipant.join(livekit.wsUrl(),
            RoomParticipantIT.token(room, "speaker"), new RoomListener() { }, true, Duration.ofSeconds(20));
        AudioPublication mic = speaker.publishAudio("microphone", Duration.ofSeconds(10))) {
      assertThat(mic.trackSid()).startsWith("TR_");
      Thread.sleep(1500); // subscription and ICE on the subscriber side settle while silence flows
      long toneStart = System.nanoTime();
      mic.write(tone(440, 2000, 8000));

      await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() >= 100);
      long latencyMs = (firstLoud.get() - toneStart) / 1_000_000;
      short[] all = concat(new java.util.ArrayList<>(heard).subList(10, 90)); // a snapshot: frames keep arriving
      double rms = Pcm.rms(all);
      double frequency = zeroCrossings(all) / 2.0 / (all.length / 48_000.0);
      System.out.printf("audio: tone heard after %d ms (one way, loopback, incl. 10 ms pacing); rms %.0f (sent"
          + " %.0f), frequency %.1f Hz%n", latencyMs, rms, 8000 / Math.sqrt(2), frequency);
      assertThat(frequency).isBetween(430.0, 450.0);
      assertThat(rms).isBetween(3500.0, 7500.0);
      assertThat(latencyMs).isLessThan(1000);
    }
  }

  static byte[] tone(double hz, int millis, int amplitude) {
    int samples = 48_000 * millis / 1000;
    ByteBuffer buffer = ByteBuffer.allocate(samples * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < samples; i++) {
      buffer.putShort((short) (amplitude * Math.sin(2 * Math.PI * hz * i / 48_000.0)));
    }
    return buffer.array();
  }

  static int zeroCrossings(short[] samples) {
    int crossings = 0;
    for (int i = 1; i < samples.length; i++) {
      if ((samples[i - 1] < 0) != (samples[i] < 0)) {
        crossings++;
      }
    }
    return crossings;
  }

  static short[] concat(List<short[]> frames) {
    short[] all = new short[frames.stream().mapToInt(f -> f.length).sum()];
    int offset = 0;
    for (short[] frame : frames) {
      System.arraycopy(frame, 0, all, offset, frame.length);
      offset += frame.length;
    }
    return all;
  }

  /**
   * One process, many voices (as in tts-egress): publishing new tracks while another publication is
   * speaking must not abort the process (libwebrtc's device thread would otherwise race the speaking
   * track); the speaking track keeps going.
   */
  @Test
  void newPublicationsWhileAnotherSpeaksDoNotAbortTheProcess(TestLiveKit livekit) throws Exception {
    String room = "many-" + UUID.randomUUID().toString().substring(0, 6);
    java.util.List<RoomParticipant> others = new java.util.ArrayList<>();
    java.util.List<AudioPublication> voices = new java.util.ArrayList<>();
    try (RoomParticipant first = RoomParticipant.join(livekit.wsUrl(), RoomParticipantIT.token(room, "voice-0"),
        new RoomListener() { }, true, Duration.ofSeconds(20));
        AudioPublication speaking = first.publishAudio("voice", Duration.ofSeconds(10))) {
      speaking.write(tone(440, 20_000, 8000)); // 20 s of speech queued: it is being pushed throughout
      for (int i = 1; i <= 5; i++) {
        RoomParticipant other = RoomParticipant.join(livekit.wsUrl(), RoomParticipantIT.token(room, "voice-" + i),
            new RoomListener() { }, true, Duration.ofSeconds(20));
        others.add(other);
        AudioPublication voice = other.publishAudio("voice", Duration.ofSeconds(10));
        voice.write(tone(330, 500, 8000));
        voices.add(voice);
      }
      int before = speaking.queuedMillis();
      Thread.sleep(500);
      assertThat(speaking.queuedMillis()).as("the first voice is still being played out").isLessThan(before);
    } finally {
      voices.forEach(AudioPublication::close);
      others.forEach(RoomParticipant::close);
    }
  }

  /** An agent subscribes to the caller's audio only: another agent's voice in the room never reaches it. */
  @Test
  void aParticipantHearsOnlyThoseItChoosesToSubscribeTo(TestLiveKit livekit) throws Exception {
    String room = "choose-" + UUID.randomUUID().toString().substring(0, 6);
    java.util.Map<String, Integer> framesFrom = new java.util.concurrent.ConcurrentHashMap<>();
    RoomListener ears = new RoomListener() {
      @Override
      public void onAudio(String participant, String trackSid, byte[] pcm, int sampleRate, int channels) {
        framesFrom.merge(participant, 1, Integer::sum);
      }
    };
    try (RoomParticipant caller = RoomParticipant.join(livekit.wsUrl(), RoomParticipantIT.token(room, "caller"),
        new RoomListener() { }, true, Duration.ofSeconds(20));
        AudioPublication callerMic = caller.publishAudio("microphone", Duration.ofSeconds(10));
        RoomParticipant otherAgent = RoomParticipant.join(livekit.wsUrl(),
            RoomParticipantIT.token(room, "agent-voice-x"), new RoomListener() { }, true, Duration.ofSeconds(20));
        AudioPublication agentVoice = otherAgent.publishAudio("agent-voice", Duration.ofSeconds(10));
        RoomParticipant agent = RoomParticipant.join(livekit.wsUrl(), RoomParticipantIT.token(room, "agent-ears"),
            ears, true, Duration.ofSeconds(20), Participant::caller)) {
      callerMic.write(tone(440, 3000, 8000));
      agentVoice.write(tone(660, 3000, 8000));
      await().atMost(Duration.ofSeconds(10)).until(() -> framesFrom.getOrDefault("caller", 0) > 100);
      Thread.sleep(1000);
      assertThat(framesFrom.keySet()).as("audio received from").containsExactly("caller");
    }
  }
}
