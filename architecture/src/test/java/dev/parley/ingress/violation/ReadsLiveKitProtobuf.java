package dev.parley.ingress.violation;

/** Breaks "LiveKit's SDK stays in livekit-client". */
public final class ReadsLiveKitProtobuf {
  public String identity(livekit.LivekitModels.ParticipantInfo info) {
    return info.getIdentity();
  }
}
