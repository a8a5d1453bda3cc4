package dev.parley.livekit;

import io.livekit.server.AccessToken;
import io.livekit.server.CanPublish;
import io.livekit.server.CanPublishData;
import io.livekit.server.CanSubscribe;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
import java.time.Instant;
import livekit.LivekitAgentDispatch.RoomAgentDispatch;
import livekit.LivekitRoom.RoomConfiguration;

/**
 * LiveKit access tokens for callers: scoped to one room, short-lived, carrying the caller's
 * metadata, and with a room configuration that dispatches the Parley agent when the room is created.
 */
public final class CallerTokens {
  private final String apiKey;
  private final String apiSecret;
  private final String agentName;
  private final int ttlSeconds;

  public CallerTokens(String apiKey, String apiSecret, String agentName, int ttlSeconds) {
    this.apiKey = apiKey;
    this.apiSecret = apiSecret;
    this.agentName = agentName;
    this.ttlSeconds = ttlSeconds;
  }

  /** A signed token and when it stops working. */
  public record Issued(String token, Instant expiresAt) {}

  public Issued issue(String room, String identity, String name, String metadataJson) {
    AccessToken token = new AccessToken(apiKey, apiSecret);
    token.setIdentity(identity);
    if (name != null) {
      token.setName(name);
    }
    token.setMetadata(metadataJson);
    token.setTtl(ttlSeconds * 1000L);
    token.addGrants(new RoomJoin(true), new RoomName(room), new CanPublish(true), new CanSubscribe(true),
        new CanPublishData(true));
    token.setRoomConfiguration(RoomConfiguration.newBuilder()
        .addAgents(RoomAgentDispatch.newBuilder().setAgentName(agentName).setMetadata(metadataJson))
        .build());
    return new Issued(token.toJwt(), Instant.now().plusSeconds(ttlSeconds));
  }
}
