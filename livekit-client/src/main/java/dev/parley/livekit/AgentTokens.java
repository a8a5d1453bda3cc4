package dev.parley.livekit;

import io.livekit.server.AccessToken;
import io.livekit.server.CanPublish;
import io.livekit.server.CanPublishData;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
import java.time.Duration;

/** LiveKit access tokens for Parley's own participants (the agent's voice): join one room, publish audio and data. */
public final class AgentTokens {
  private final String apiKey;
  private final String apiSecret;
  private final Duration ttl;

  public AgentTokens(String apiKey, String apiSecret, Duration ttl) {
    this.apiKey = apiKey;
    this.apiSecret = apiSecret;
    this.ttl = ttl;
  }

  /** A signed token for {@code identity} in {@code room}, shown to others as {@code name}. */
  public String join(String room, String identity, String name) {
    AccessToken token = new AccessToken(apiKey, apiSecret);
    token.setIdentity(identity);
    token.setName(name);
    token.setTtl(ttl.toMillis());
    token.addGrants(new RoomJoin(true), new RoomName(room), new CanPublish(true), new CanPublishData(true));
    return token.toJwt();
  }
}
