package dev.parley.livekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.parley.localstack.junit.LiveKitExtension;
import dev.parley.localstack.junit.TestLiveKit;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(LiveKitExtension.class)
class LiveKitRoomsIT {

  @Test
  void tellsWhoIsInARoomWithoutCreatingIt(TestLiveKit livekit) throws Exception {
    LiveKitRooms rooms = new LiveKitRooms(livekit.wsUrl(), livekit.apiKey(), livekit.apiSecret());
    rooms.warm();
    String room = "rooms-" + UUID.randomUUID().toString().substring(0, 6);
    assertThat(rooms.participants(room)).as("no such room").isEmpty();
    assertThat(rooms.callerIn(room)).isFalse();
    try (RoomParticipant agent = RoomParticipant.join(livekit.wsUrl(), RoomParticipantIT.token(room, "agent-voice-x"),
        new RoomListener() { }, true, Duration.ofSeconds(20))) {
      await().atMost(Duration.ofSeconds(10)).until(() -> rooms.participants(room).contains("agent-voice-x"));
      assertThat(rooms.callerIn(room)).as("only an agent is there").isFalse();
      try (RoomParticipant caller = RoomParticipant.join(livekit.wsUrl(), RoomParticipantIT.token(room, "caller-1"),
          new RoomListener() { }, true, Duration.ofSeconds(20))) {
        await().atMost(Duration.ofSeconds(10)).until(() -> rooms.callerIn(room));
        assertThat(rooms.participants(room)).containsExactlyInAnyOrder("agent-voice-x", "caller-1");
      }
    }
  }

  @Test
  void dispatchesAJobToAWorkerAndSaysWhenTheServerRefuses(TestLiveKit livekit) throws Exception {
    String agentName = "parley-rooms-" + UUID.randomUUID().toString().substring(0, 6);
    String room = "rooms-" + UUID.randomUUID().toString().substring(0, 6);
    List<Job> assigned = new CopyOnWriteArrayList<>();
    try (AgentWorker worker = AgentWorker.builder().url(livekit.wsUrl()).credentials(livekit.apiKey(),
        livekit.apiSecret()).agentName(agentName).handler(assigned::add).build()) {
      worker.start();
      await().atMost(Duration.ofSeconds(15)).until(() -> worker.workerId() != null);
      new LiveKitRooms(livekit.wsUrl(), livekit.apiKey(), livekit.apiSecret()).dispatch(room, agentName,
          "{\"parley_resume_session\":\"s-1\"}");
      await().atMost(Duration.ofSeconds(15)).until(() -> !assigned.isEmpty());
      assertThat(assigned.get(0).room()).isEqualTo(room);
      assertThat(assigned.get(0).metadata()).isEqualTo("{\"parley_resume_session\":\"s-1\"}");
    }
    LiveKitRooms wrongKey = new LiveKitRooms(livekit.wsUrl(), livekit.apiKey(), "not-the-secret-not-the-secret-00");
    assertThatThrownBy(() -> wrongKey.dispatch(room, agentName, "{}")).isInstanceOf(IOException.class)
        .hasMessageContaining("refused to dispatch").hasMessageContaining("HTTP 401");
    assertThat(wrongKey.callerIn(room)).as("a server that cannot be asked says no caller").isFalse();
  }
}
