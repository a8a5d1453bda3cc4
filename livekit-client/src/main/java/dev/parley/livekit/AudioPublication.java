package dev.parley.livekit;

import dev.onvoid.webrtc.media.audio.CustomAudioSource;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A published local audio track fed with PCM: 48 kHz mono signed 16-bit little-endian, pushed to
 * libwebrtc in 10 ms frames (960 bytes) by one paced thread; silence when nothing is queued.
 */
public final class AudioPublication implements AutoCloseable {
  public static final int SAMPLE_RATE = 48_000;
  public static final int FRAME_BYTES = SAMPLE_RATE / 100 * 2;
  private static final byte[] SILENCE = new byte[FRAME_BYTES];
  /**
   * Closed (write-locked) while a new track is being published anywhere in this process: frames wait in
   * their queues instead of racing libwebrtc's device thread (see {@code RoomParticipant.publishAudio}).
   */
  static final java.util.concurrent.locks.ReentrantReadWriteLock GATE =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private final CustomAudioSource source;
  private final String trackSid;
  private final ConcurrentLinkedQueue<byte[]> frames = new ConcurrentLinkedQueue<>();
  private final ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "livekit-audio-out");
    t.setDaemon(true);
    t.setPriority(Thread.MAX_PRIORITY);
    return t;
  });
  private byte[] partial = new byte[0];
  private volatile boolean closed;

  AudioPublication(CustomAudioSource source, String trackSid) {
    this.source = source;
    this.trackSid = trackSid;
    pacer.scheduleAtFixedRate(this::pushFrame, 0, 10, TimeUnit.MILLISECONDS);
  }

  public String trackSid() {
    return trackSid;
  }

  /** Queues PCM to play after what is already queued; any length, split into 10 ms frames. */
  public synchronized void write(byte[] pcm) {
    byte[] all = new byte[partial.length + pcm.length];
    System.arraycopy(partial, 0, all, 0, partial.length);
    System.arraycopy(pcm, 0, all, partial.length, pcm.length);
    int whole = all.length / FRAME_BYTES * FRAME_BYTES;
    for (int offset = 0; offset < whole; offset += FRAME_BYTES) {
      byte[] frame = new byte[FRAME_BYTES];
      System.arraycopy(all, offset, frame, 0, FRAME_BYTES);
      frames.add(frame);
    }
    partial = java.util.Arrays.copyOfRange(all, whole, all.length);
  }

  /** Drops everything queued (barge-in); returns how many milliseconds of audio were dropped. */
  public synchronized int clear() {
    int dropped = frames.size() * 10;
    frames.clear();
    partial = new byte[0];
    return dropped;
  }

  /** Milliseconds of audio still queued. */
  public int queuedMillis() {
    return frames.size() * 10;
  }

  private void pushFrame() {
    if (closed || !GATE.readLock().tryLock()) {
      return; // the frame stays queued
    }
    try {
      byte[] frame = frames.poll();
      source.pushAudio(frame == null ? SILENCE : frame, 16, SAMPLE_RATE, 1, SAMPLE_RATE / 100);
    } finally {
      GATE.readLock().unlock();
    }
  }

  /**
   * Stops pushing and waits for a push in progress to return: libwebrtc aborts the whole process
   * (audio_send_stream race check) if the track is torn down while a frame is being sent.
   */
  @Override
  public void close() {
    closed = true;
    pacer.shutdown();
    try {
      if (!pacer.awaitTermination(2, TimeUnit.SECONDS)) {
        pacer.shutdownNow();
      }
    } catch (InterruptedException e) {
      pacer.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
