package dev.parley.livekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.parley.localstack.junit.LiveKitExtension;
import dev.parley.localstack.junit.TestLiveKit;
import io.livekit.server.AccessToken;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Two of our participants in one room on the real LiveKit server, over real WebRTC data channels on loopback. */
@ExtendWith(LiveKitExtension.class)
class RoomParticipantIT {

  @Test
  void participantsSeeEachOtherAndExchangeDataMessagesOnATopic(TestLiveKit livekit) {
    String room = "data-" + UUID.randomUUID().toString().substring(0, 6);
    Recorder agentSide = new Recorder();
    Recorder callerSide = new Recorder();

    long start = System.nanoTime();
    try (RoomParticipant agent = RoomParticipant.join(livekit.wsUrl(), token(room, "agent-1"), agentSide,
        true, Duration.ofSeconds(20))) {
      long joinMillis = (System.nanoTime() - start) / 1_000_000;
      try (RoomParticipant caller = RoomParticipant.join(livekit.wsUrl(), token(room, "caller-1"),
          callerSide, true, Duration.ofSeconds(20))) {
        await().atMost(Duration.ofSeconds(10)).until(() -> agent.participants().contains("caller-1")
            && caller.participants().contains("agent-1"));
        assertThat(agentSide.joined).contains("caller-1");

        agent.sendData("conversation-summary", "{\"issue_category\":\"account\"}".getBytes(StandardCharsets.UTF_8));
        caller.sendData("caller-events", "hello agent".getBytes(StandardCharsets.UTF_8), "agent-1");

        await().atMost(Duration.ofSeconds(10)).until(() -> !callerSide.data.isEmpty() && !agentSide.data.isEmpty());
        assertThat(callerSide.data).containsExactly("agent-1|conversation-summary|{\"issue_category\":\"account\"}");
        assertThat(agentSide.data).containsExactly("caller-1|caller-events|hello agent");
        System.out.printf("room join with data channel open: %d ms%n", joinMillis);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> agentSide.left.contains("caller-1"));
      assertThat(agent.participants()).doesNotContain("caller-1");
    }
    assertThat(agentSide.disconnects).containsExactly("left");
  }

  @Test
  void aBadTokenIsRefusedWithAClearError(TestLiveKit livekit) {
    Recorder recorder = new Recorder();
    try {
      RoomParticipant.join(livekit.wsUrl(), "not-a-token", recorder, true, Duration.ofSeconds(10)).close();
      throw new AssertionError("joined with a bad token");
    } catch (IllegalStateException expected) {
      assertThat(expected.getMessage()).contains("cannot join the room");
    }
  }

  @Test
  void aDroppedServerConnectionIsDetectedAndReported(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    dev.parley.localstack.LiveKitServer server = dev.parley.localstack.LiveKitServer.start(dir, 0);
    Recorder recorder = new Recorder();
    try {
      RoomParticipant participant = RoomParticipant.join(server.wsUrl(), token("drop-room", "p1"),
          recorder, true, Duration.ofSeconds(20));
      server.kill();
      await().atMost(Duration.ofSeconds(30)).until(() -> !recorder.disconnects.isEmpty());
      assertThat(recorder.disconnects.get(0)).isNotEqualTo("left");
      participant.close();
      assertThat(recorder.disconnects).hasSize(1);
    } finally {
      server.close();
    }
  }

  /** A room token signed with the test server's dev keys. */
  static String token(String room, String identity) {
    AccessToken token = new AccessToken(dev.parley.localstack.LiveKitServer.API_KEY,
        dev.parley.localstack.LiveKitServer.API_SECRET);
    token.setIdentity(identity);
    token.setTtl(Duration.ofMinutes(10).toMillis());
    token.addGrants(new RoomJoin(true), new RoomName(room));
    return token.toJwt();
  }

  static final class Recorder implements RoomListener {
    final List<String> joined = new CopyOnWriteArrayList<>();
    final List<String> left = new CopyOnWriteArrayList<>();
    final List<String> data = new CopyOnWriteArrayList<>();
    final List<String> disconnects = new CopyOnWriteArrayList<>();

    @Override
    public void onParticipantJoined(String identity, String metadata) {
      joined.add(identity);
    }

    @Override
    public void onParticipantLeft(String identity) {
      left.add(identity);
    }

    @Override
    public void onData(String fromIdentity, String topic, byte[] payload) {
      data.add(fromIdentity + "|" + topic + "|" + new String(payload, StandardCharsets.UTF_8));
    }

    @Override
    public void onDisconnected(String reason) {
      disconnects.add(reason);
    }
  }
}
