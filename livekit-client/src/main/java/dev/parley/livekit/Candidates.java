package dev.parley.livekit;

import dev.onvoid.webrtc.RTCIceCandidate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** ICE candidates as LiveKit's signal protocol carries them: {@code {"candidate","sdpMid","sdpMLineIndex"}} JSON. */
final class Candidates {
  private static final Pattern CANDIDATE = Pattern.compile("\"candidate\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern MID = Pattern.compile("\"sdpMid\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern INDEX = Pattern.compile("\"sdpMLineIndex\"\\s*:\\s*(\\d+)");

  private Candidates() {}

  static RTCIceCandidate parse(String json) {
    Matcher candidate = CANDIDATE.matcher(json);
    if (!candidate.find() || candidate.group(1).isEmpty()) {
      return null; // end-of-candidates
    }
    Matcher mid = MID.matcher(json);
    Matcher index = INDEX.matcher(json);
    return new RTCIceCandidate(mid.find() ? mid.group(1) : "0", index.find() ? Integer.parseInt(index.group(1)) : 0,
        candidate.group(1));
  }

  static String toJson(RTCIceCandidate candidate) {
    return "{\"candidate\":\"" + escape(candidate.sdp) + "\",\"sdpMid\":\"" + escape(candidate.sdpMid)
        + "\",\"sdpMLineIndex\":" + candidate.sdpMLineIndex + "}";
  }

  private static String escape(String text) {
    return text == null ? "" : text.replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
