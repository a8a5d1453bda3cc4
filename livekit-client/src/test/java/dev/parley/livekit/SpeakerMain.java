package dev.parley.livekit;

import java.time.Duration;

/** A participant in its own JVM that publishes a tone: {@code SpeakerMain <url> <token> <Hz> <seconds> <wait ms before speaking>}. */
public final class SpeakerMain {
  private SpeakerMain() {}

  public static void main(String[] args) throws Exception {
    try (RoomParticipant speaker = RoomParticipant.join(args[0], args[1], new RoomListener() { }, true,
        Duration.ofSeconds(20));
        AudioPublication mic = speaker.publishAudio("microphone", Duration.ofSeconds(10))) {
      System.out.println("PUBLISHED " + mic.trackSid());
      Thread.sleep(Long.parseLong(args[4]));
      mic.write(RoomAudioIT.tone(Double.parseDouble(args[2]), Integer.parseInt(args[3]) * 1000, 8000));
      Thread.sleep(Integer.parseInt(args[3]) * 1000L + 1000);
    }
    System.exit(0);
  }
}
