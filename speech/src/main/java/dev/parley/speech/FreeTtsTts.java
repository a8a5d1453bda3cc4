package dev.parley.speech;

import com.sun.speech.freetts.Voice;
import com.sun.speech.freetts.VoiceManager;
import com.sun.speech.freetts.audio.AudioPlayer;
import java.io.ByteArrayOutputStream;
import javax.sound.sampled.AudioFormat;

/**
 * Offline text-to-speech: FreeTTS with its kevin16 voice (16 kHz, upsampled to 48 kHz). Natural
 * enough that PocketSphinx transcribes it exactly. Calls are serialized.
 */
public final class FreeTtsTts implements TextToSpeech {
  private final Voice voice;
  private final float basePitch;

  public FreeTtsTts() {
    System.setProperty("freetts.voices", "com.sun.speech.freetts.en.us.cmu_us_kal.KevinVoiceDirectory");
    voice = VoiceManager.getInstance().getVoice("kevin16");
    if (voice == null) {
      throw new IllegalStateException("FreeTTS voice kevin16 not found");
    }
    voice.allocate();
    basePitch = voice.getPitch();
  }

  @Override
  public String name() {
    return "freetts";
  }

  @Override
  public synchronized byte[] synthesize(String text, double speed) {
    return synthesize(text, speed, VoiceStyle.NONE);
  }

  /** FreeTTS takes rate and pitch (its kevin16 default is 100 Hz) itself; the volume scales its samples. */
  @Override
  public synchronized byte[] synthesize(String text, double speed, VoiceStyle style) {
    VoiceStyle s = style == null ? VoiceStyle.NONE : style;
    Capture capture = new Capture();
    voice.setRate((float) (150 * speed * s.rate()));
    voice.setPitch((float) (basePitch * s.pitch()));
    voice.setAudioPlayer(capture);
    voice.speak(text);
    short[] pcm16k = Pcm.samples(capture.pcm(capture.bigEndian));
    return s.withVolume(Pcm.bytes(Pcm.up3(pcm16k)));
  }

  @Override
  public synchronized void close() {
    voice.deallocate();
  }

  /** Collects what FreeTTS plays, as little-endian bytes. */
  private static final class Capture implements AudioPlayer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private AudioFormat format;
    boolean bigEndian;

    byte[] pcm(boolean swap) {
      byte[] bytes = out.toByteArray();
      if (swap) {
        for (int i = 0; i + 1 < bytes.length; i += 2) {
          byte b = bytes[i];
          bytes[i] = bytes[i + 1];
          bytes[i + 1] = b;
        }
      }
      return bytes;
    }

    @Override
    public void setAudioFormat(AudioFormat format) {
      this.format = format;
      this.bigEndian = format.isBigEndian();
    }

    @Override
    public AudioFormat getAudioFormat() {
      return format;
    }

    @Override
    public void pause() { }

    @Override
    public void resume() { }

    @Override
    public void reset() { }

    @Override
    public boolean drain() {
      return true;
    }

    @Override
    public void begin(int size) { }

    @Override
    public boolean end() {
      return true;
    }

    @Override
    public void cancel() { }

    @Override
    public void close() { }

    @Override
    public float getVolume() {
      return 1f;
    }

    @Override
    public void setVolume(float volume) { }

    @Override
    public long getTime() {
      return 0;
    }

    @Override
    public void resetTime() { }

    @Override
    public void startFirstSampleTimer() { }

    @Override
    public boolean write(byte[] audioData) {
      out.writeBytes(audioData);
      return true;
    }

    @Override
    public boolean write(byte[] audioData, int offset, int size) {
      out.write(audioData, offset, size);
      return true;
    }

    @Override
    public void showMetrics() { }
  }
}
