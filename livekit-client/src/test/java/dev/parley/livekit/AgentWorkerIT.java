package dev.parley.livekit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.interfaces.DecodedJWT;
import dev.parley.localstack.LiveKitServer;
import dev.parley.localstack.junit.LiveKitExtension;
import dev.parley.localstack.junit.TestLiveKit;
import io.livekit.server.AgentDispatchServiceClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import livekit.LivekitAgent.JobStatus;
import livekit.LivekitAgentDispatch.AgentDispatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The agent worker protocol against the real LiveKit server (v1.13.5, dev mode, loopback). */
@ExtendWith(LiveKitExtension.class)
class AgentWorkerIT {

  @Test
  void aWorkerRegistersReceivesADispatchedJobAndReportsItsStatus(TestLiveKit livekit) throws Exception {
    String agentName = "parley-it-" + UUID.randomUUID().toString().substring(0, 6);
    String room = "room-" + UUID.randomUUID().toString().substring(0, 6);
    List<Job> assigned = new CopyOnWriteArrayList<>();
    List<String> registered = new CopyOnWriteArrayList<>();
    try (AgentWorker worker = AgentWorker.builder().url(livekit.wsUrl()).credentials(livekit.apiKey(),
        livekit.apiSecret()).agentName(agentName).handler(job -> {
          assigned.add(job);
          job.running();
        }).listener(new WorkerListener() {
          @Override
          public void onRegistered(String workerId) {
            registered.add(workerId);
          }
        }).build()) {
      worker.start();
      await().atMost(Duration.ofSeconds(15)).until(() -> !registered.isEmpty());
      assertThat(registered.get(0)).startsWith("AW_");

      AgentDispatchServiceClient dispatch = AgentDispatchServiceClient.Companion.createClient(livekit.httpUrl(),
          livekit.apiKey(), livekit.apiSecret(), okhttp3.OkHttpClient::new);
      AgentDispatch created = dispatch.createDispatch(room, agentName, "{\"purpose\":\"support\"}").execute().body();
      assertThat(created).isNotNull();

      await().atMost(Duration.ofSeconds(15)).until(() -> !assigned.isEmpty());
      Job job = assigned.get(0);
      assertThat(job.room()).isEqualTo(room);
      assertThat(job.identity()).isEqualTo("agent-" + job.id());
      assertThat(job.metadata()).isEqualTo("{\"purpose\":\"support\"}");
      DecodedJWT token = JWT.require(Algorithm.HMAC256(livekit.apiSecret())).build().verify(job.token());
      assertThat(token.getSubject()).isEqualTo(job.identity());
      assertThat(token.getClaim("video").asMap()).containsEntry("room", room).containsEntry("roomJoin", true);
      assertThat(token.getClaim("kind").asString()).isEqualTo("agent");

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        AgentDispatch ours = ours(dispatch, room, agentName);
        assertThat(ours.getState().getJobsList()).anySatisfy(
            j -> assertThat(j.getState().getStatus()).isEqualTo(JobStatus.JS_RUNNING));
      });
      assertThat(worker.jobs()).containsExactly(job);
      job.succeeded();
      assertThat(worker.jobs()).as("a finished job no longer counts towards the worker's load").isEmpty();
    }
  }

  @Test
  void aDeclinedJobGoesToAnotherWorker(TestLiveKit livekit) throws Exception {
    String agentName = "parley-it-" + UUID.randomUUID().toString().substring(0, 6);
    List<Job> busyGot = new CopyOnWriteArrayList<>();
    List<Job> freeGot = new CopyOnWriteArrayList<>();
    try (AgentWorker busy = worker(livekit, agentName, new JobHandler() {
          @Override
          public boolean accept(JobRequest request) {
            return false;
          }

          @Override
          public void onAssignment(Job job) {
            busyGot.add(job);
          }
        });
        AgentWorker free = worker(livekit, agentName, freeGot::add)) {
      busy.start();
      free.start();
      await().atMost(Duration.ofSeconds(15)).until(() -> busy.workerId() != null && free.workerId() != null);

      for (int i = 0; i < 3; i++) {
        AgentDispatchServiceClient.Companion.createClient(livekit.httpUrl(), livekit.apiKey(), livekit.apiSecret(),
            okhttp3.OkHttpClient::new).createDispatch("declined-" + UUID.randomUUID(), agentName).execute();
      }

      await().atMost(Duration.ofSeconds(20)).until(() -> freeGot.size() == 3);
      assertThat(busyGot).isEmpty();
    }
  }

  @Test
  void aLostConnectionIsReportedAndTheWorkerReRegistersWhenTheServerIsBack(@TempDir Path dir) {
    LiveKitServer server = LiveKitServer.start(dir.resolve("first"), 0);
    int port = server.port();
    List<String> registered = new CopyOnWriteArrayList<>();
    List<String> disconnects = new CopyOnWriteArrayList<>();
    try (AgentWorker worker = AgentWorker.builder().url(server.wsUrl()).credentials(LiveKitServer.API_KEY,
        LiveKitServer.API_SECRET).agentName("parley-reconnect").handler(job -> { })
        .listener(new WorkerListener() {
          @Override
          public void onRegistered(String workerId) {
            registered.add(workerId);
          }

          @Override
          public void onDisconnected(String reason) {
            disconnects.add(reason);
          }
        }).build()) {
      worker.start();
      await().atMost(Duration.ofSeconds(15)).until(() -> registered.size() == 1);

      server.kill();
      await().atMost(Duration.ofSeconds(30)).until(() -> !disconnects.isEmpty());
      assertThat(worker.workerId()).isNull();

      try (LiveKitServer again = LiveKitServer.start(dir.resolve("second"), port)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> registered.size() == 2);
        assertThat(worker.workerId()).isEqualTo(registered.get(1));
      }
    } finally {
      server.close();
    }
  }

  /** The room also gets LiveKit's default (unnamed) dispatch; ours is the one with our agent name. */
  private static AgentDispatch ours(AgentDispatchServiceClient dispatch, String room, String agentName)
      throws java.io.IOException {
    return dispatch.listDispatch(room).execute().body().stream().filter(d -> d.getAgentName().equals(agentName))
        .findFirst().orElseThrow();
  }

  private static AgentWorker worker(TestLiveKit livekit, String agentName, JobHandler handler) {
    return AgentWorker.builder().url(livekit.wsUrl()).credentials(livekit.apiKey(), livekit.apiSecret())
        .agentName(agentName).handler(handler).build();
  }

}
