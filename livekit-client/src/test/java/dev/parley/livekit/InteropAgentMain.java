package dev.parley.livekit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Our side of the interoperability test, run as its own JVM inside the test namespace:
 * {@code InteropAgentMain <url> <token> <tone Hz> <seconds> <recording.pcm>}. Waits for the other
 * participant, speaks a tone, sends a data message, records what it hears; prints JSON lines.
 */
public final class InteropAgentMain {
  private InteropAgentMain() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String token = args[1];
    double hz = Double.parseDouble(args[2]);
    int seconds = Integer.parseInt(args[3]);
    Path recording = Path.of(args[4]);
    ByteArrayOutputStream heard = new ByteArrayOutputStream();
    long joinStart = System.currentTimeMillis();
    java.util.concurrent.atomic.AtomicBoolean firstFrame = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicBoolean firstSound = new java.util.concurrent.atomic.AtomicBoolean();
    RoomListener listener = new RoomListener() {
      @Override
      public void onData(String from, String topic, byte[] payload) {
        System.out.printf("{\"event\":\"data\",\"from\":\"%s\",\"topic\":\"%s\",\"text\":\"%s\"}%n", from, topic,
            new String(payload, StandardCharsets.UTF_8));
      }

      @Override
      public void onAudio(String participant, String trackSid, byte[] pcm, int sampleRate, int channels) {
        if (firstFrame.compareAndSet(false, true)) {
          System.out.println("{\"event\":\"first-frame\",\"at\":" + System.currentTimeMillis() + "}");
        }
        short[] samples = new short[pcm.length / 2];
        java.nio.ByteBuffer.wrap(pcm).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(samples);
        if (dev.parley.speech.Pcm.rms(samples) > 1000 && firstSound.compareAndSet(false, true)) {
          System.out.println("{\"event\":\"first-sound\",\"at\":" + System.currentTimeMillis() + "}");
        }
        if (!participant.isEmpty() && sampleRate == 48_000 && channels == 1) {
          synchronized (heard) {
            heard.writeBytes(pcm);
          }
        }
      }
    };
    try (RoomParticipant agent = RoomParticipant.join(url, token, listener, false, Duration.ofSeconds(20))) {
      System.out.println("{\"event\":\"joined\",\"identity\":\"" + agent.identity() + "\",\"joinMs\":"
          + (System.currentTimeMillis() - joinStart) + ",\"at\":" + System.currentTimeMillis() + "}");
      long deadline = System.currentTimeMillis() + 20_000;
      while (agent.participants().isEmpty() && System.currentTimeMillis() < deadline) {
        Thread.sleep(50);
      }
      try (AudioPublication mic = agent.publishAudio("agent-voice", Duration.ofSeconds(10))) {
        agent.sendData("conversation-summary", "{\"from\":\"java\"}".getBytes(StandardCharsets.UTF_8));
        mic.write(RoomAudioIT.tone(hz, seconds * 1000, 8000));
        Thread.sleep(seconds * 1000L + 1500);
      }
    }
    synchronized (heard) {
      Files.write(recording, heard.toByteArray());
      System.out.println("{\"event\":\"done\",\"heardBytes\":" + heard.size() + "}");
    }
    System.exit(0);
  }
}
