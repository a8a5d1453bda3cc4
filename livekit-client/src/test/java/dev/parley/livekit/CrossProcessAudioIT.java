package dev.parley.livekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parley.localstack.JavaProcess;
import dev.parley.localstack.junit.LiveKitExtension;
import dev.parley.localstack.junit.TestLiveKit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Audio from a participant in another process, which starts speaking the moment its track is published. */
@ExtendWith(LiveKitExtension.class)
class CrossProcessAudioIT {

  @Test
  void aToneFromAnotherProcessIsHeardEvenWhenItStartsAtOnce(TestLiveKit livekit, @TempDir Path dir) {
    String room = "xproc-" + UUID.randomUUID().toString().substring(0, 6);
    Map<String, Integer> loudFrames = new ConcurrentHashMap<>();
    try (RoomParticipant listener = RoomParticipant.join(livekit.wsUrl(), RoomParticipantIT.token(room, "listener"),
        new RoomListener() {
          @Override
          public void onAudio(String participant, String trackSid, byte[] pcm, int rate, int channels) {
            short[] samples = new short[pcm.length / 2];
            java.nio.ByteBuffer.wrap(pcm).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(samples);
            loudFrames.merge(participant + (dev.parley.speech.Pcm.rms(samples) > 1000 ? ":loud" : ":quiet"), 1, Integer::sum);
          }
        }, true, Duration.ofSeconds(20));
        JavaProcess speaker = JavaProcess.start("speaker", SpeakerMain.class.getName(), Map.of(),
            dir.resolve("speaker.log"), livekit.wsUrl(), RoomParticipantIT.token(room, "speaker"), "440", "3", System.getProperty("speaker.delay", "0"))) {
      try {
        await().atMost(Duration.ofSeconds(20)).until(() -> loudFrames.getOrDefault("speaker:loud", 0) > 50);
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError("frames heard: " + loudFrames + "; speaker log:\n" + speaker.tail(), e);
      }
      System.out.println("cross-process frames: " + loudFrames);
      assertThat(listener.participants()).contains("speaker");
    }
  }
}
