package dev.parley.speech;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * How the next sentences should sound, read from free-text directions such as an agent's
 * {@code voice_instructions} field ("calm and slow", "firm", "warm and cheerful"). Voices that take free
 * text (OpenAI's {@code gpt-4o-mini-tts}) get {@link #instructions()} as written; the others get what can
 * be read from it: a speaking rate, a pitch and a volume, each a factor of the voice's own (1.0 = as is).
 *
 * @param instructions the directions as given (blank: none)
 * @param rate         speaking-rate factor (0.75–1.25)
 * @param pitch        pitch factor (0.85–1.15)
 * @param volume       volume factor (0.6–1.0; louder than the voice is not offered, it would clip)
 * @param applied      what was understood, for the playback record ("slower, softer")
 */
public record VoiceStyle(String instructions, double rate, double pitch, double volume, String applied) {
  public static final VoiceStyle NONE = new VoiceStyle("", 1.0, 1.0, 1.0, "");
  /** Directions longer than this are cut: they are a few words of style, not a script. */
  static final int MAX_CHARS = 300;

  private static final Pattern VERY_SLOW = words("very slow(ly)?", "much slower");
  private static final Pattern SLOW = words("slow(ly|er)?", "calm(ly|er)?", "patient(ly)?", "gentle", "gently",
      "soothing", "reassuring", "measured", "relaxed", "unhurried");
  private static final Pattern FAST = words("fast(er)?", "quick(ly|er)?", "brisk(ly)?", "urgent(ly)?", "energetic",
      "excited(ly)?", "upbeat", "lively");
  private static final Pattern LOW = words("deep(er)?", "low(er)?", "serious(ly)?", "stern(ly)?", "firm(ly)?",
      "grave(ly)?", "authoritative", "formal(ly)?");
  private static final Pattern HIGH = words("bright(ly)?", "cheerful(ly)?", "warm(ly)?", "friendly", "happy",
      "enthusiastic(ally)?", "excited(ly)?", "upbeat", "encouraging(ly)?");
  private static final Pattern SOFT = words("soft(ly|er)?", "quiet(ly|er)?", "whisper(ing|ed)?", "hushed");

  private static Pattern words(String... alternatives) {
    return Pattern.compile("\\b(" + String.join("|", alternatives) + ")\\b");
  }

  /** The style read from free-text directions; null or blank gives {@link #NONE}. */
  public static VoiceStyle of(String instructions) {
    if (instructions == null || instructions.isBlank()) {
      return NONE;
    }
    String text = instructions.strip();
    if (text.length() > MAX_CHARS) {
      text = text.substring(0, MAX_CHARS);
    }
    String lower = text.toLowerCase(Locale.ROOT);
    double rate = 1.0;
    double pitch = 1.0;
    double volume = 1.0;
    List<String> applied = new ArrayList<>();
    if (VERY_SLOW.matcher(lower).find()) {
      rate = 0.75;
      applied.add("much slower");
    } else if (SLOW.matcher(lower).find() && !FAST.matcher(lower).find()) {
      rate = 0.85;
      applied.add("slower");
    } else if (FAST.matcher(lower).find() && !SLOW.matcher(lower).find()) {
      rate = 1.15;
      applied.add("faster");
    }
    boolean low = LOW.matcher(lower).find();
    boolean high = HIGH.matcher(lower).find();
    if (low && !high) {
      pitch = 0.9;
      applied.add("lower");
    } else if (high && !low) {
      pitch = 1.1;
      applied.add("brighter");
    }
    if (SOFT.matcher(lower).find()) {
      volume = 0.7;
      applied.add("softer");
    }
    return new VoiceStyle(text, rate, pitch, volume, String.join(", ", applied));
  }

  public boolean isNone() {
    return instructions.isEmpty();
  }

  /** PCM (16-bit little-endian) with the volume factor applied. */
  public byte[] withVolume(byte[] pcm) {
    if (volume >= 0.999) {
      return pcm;
    }
    short[] samples = Pcm.samples(pcm);
    for (int i = 0; i < samples.length; i++) {
      samples[i] = (short) Math.round(samples[i] * volume);
    }
    return Pcm.bytes(samples);
  }
}
