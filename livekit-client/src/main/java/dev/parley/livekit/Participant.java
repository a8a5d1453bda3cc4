package dev.parley.livekit;

import dev.parley.schemas.Identities;
import java.util.Map;
import livekit.LivekitModels.ParticipantInfo;

/**
 * Another participant in the room, as the server last described it: identity, session id (sid), metadata (from its
 * token), attributes, whether LiveKit counts it as an agent, and whether its media connection is up ({@code active}:
 * before that, what is said or sent into the room does not reach it). Services see this, never LiveKit's protobuf.
 */
public record Participant(String identity, String sid, String metadata, Map<String, String> attributes,
    boolean liveKitAgent, boolean active) {

  static Participant of(ParticipantInfo info) {
    return new Participant(info.getIdentity(), info.getSid(), info.getMetadata(), Map.copyOf(info.getAttributesMap()),
        info.getKind() == ParticipantInfo.Kind.AGENT, info.getState() == ParticipantInfo.State.ACTIVE);
  }

  /** Someone to listen to: neither a LiveKit agent nor one of Parley's agent identities. */
  public boolean caller() {
    return !liveKitAgent && Identities.isCaller(identity);
  }
}
