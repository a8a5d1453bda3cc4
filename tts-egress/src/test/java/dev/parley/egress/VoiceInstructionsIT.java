package dev.parley.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.PlaybackEvent;
import dev.parley.events.PlaybackKind;
import dev.parley.events.TurnOutcome;
import dev.parley.localstack.junit.LiveKitExtension;
import dev.parley.localstack.junit.TestLiveKit;
import dev.parley.speech.FreeTtsTts;
import dev.parley.speech.TextToSpeech;
import io.livekit.server.AccessToken;
import io.livekit.server.CanPublish;
import io.livekit.server.CanPublishData;
import io.livekit.server.RoomJoin;
import io.livekit.server.RoomName;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The interview agent's {@code voice_instructions} act: after a turn asking for "calm and slow", the same
 * sentence is spoken more slowly in a real LiveKit room, and the playback events record the directions.
 */
@ExtendWith(LiveKitExtension.class)
class VoiceInstructionsIT {
  private static final String SENTENCE = "Could you tell me how you will pay for your studies?";

  @Test
  void aTurnsVoiceInstructionsChangeHowTheFollowingSentencesAreSpoken(TestLiveKit livekit) throws Exception {
    String room = "voice-style-" + UUID.randomUUID().toString().substring(0, 8);
    List<PlaybackEvent> events = new CopyOnWriteArrayList<>();
    try (FreeTtsTts freeTts = new FreeTtsTts();
        VoiceSession session = new VoiceSession("s-" + room, livekit.wsUrl(), token(livekit, room), voices(freeTts),
            true, events::add)) {
      speakAndFinish(session, events, "t1");
      ObjectNode fields = new ObjectMapper().createObjectNode().put("interview_stage", "financial_capacity")
          .put("voice_instructions", "calm and slow, a little softer");
      session.turn(turn("t1"), fields);
      speakAndFinish(session, events, "t2");
      session.turn(turn("t2"), new ObjectMapper().createObjectNode().put("voice_instructions", ""));
      speakAndFinish(session, events, "t3");
    }
    PlaybackEvent plain = finished(events, "t1");
    PlaybackEvent calm = finished(events, "t2");
    PlaybackEvent back = finished(events, "t3");
    assertThat(plain.getVoiceInstructions()).isNull();
    assertThat(calm.getVoiceInstructions()).isEqualTo("calm and slow, a little softer");
    assertThat(back.getVoiceInstructions()).as("blank directions return to the plain voice").isNull();
    assertThat((double) calm.getAudioMsPlayed()).as("the same sentence, slower")
        .isGreaterThan(plain.getAudioMsPlayed() * 1.1);
    assertThat((double) back.getAudioMsPlayed()).isCloseTo(plain.getAudioMsPlayed(),
        org.assertj.core.api.Assertions.withinPercentage(5));
  }

  /** An escalation reaches the people in the room as an {@code escalation} data message with its context. */
  @Test
  void anEscalationIsToldToTheRoom(TestLiveKit livekit) throws Exception {
    String room = "escalation-" + UUID.randomUUID().toString().substring(0, 8);
    List<String> received = new CopyOnWriteArrayList<>();
    AccessToken callerToken = new AccessToken(livekit.apiKey(), livekit.apiSecret());
    callerToken.setIdentity("caller");
    callerToken.addGrants(new RoomJoin(true), new RoomName(room), new io.livekit.server.CanSubscribe(true));
    try (FreeTtsTts freeTts = new FreeTtsTts();
        VoiceSession session = new VoiceSession("s-" + room, livekit.wsUrl(), token(livekit, room), voices(freeTts),
            true, e -> { });
        dev.parley.livekit.RoomParticipant caller = dev.parley.livekit.RoomParticipant.join(livekit.wsUrl(),
            callerToken.toJwt(), new dev.parley.livekit.RoomListener() {
              @Override
              public void onData(String from, String topic, byte[] payload) {
                received.add(topic + "|" + new String(payload, java.nio.charset.StandardCharsets.UTF_8));
              }
            }, true, Duration.ofSeconds(20))) {
      await().atMost(Duration.ofSeconds(20)).until(session::callerPresent);
      session.escalation(dev.parley.events.Escalation.newBuilder().setSessionId("s-" + room).setTurnId("t2")
          .setAgentId("support").setConfigVersion(1).setField("escalation_needed")
          .setUserTranscript("I want a refund now").setSystemResponse("I will get a colleague.")
          .setStructuredFields("{\"issue_category\":\"billing\",\"escalation_needed\":true}")
          .setCreatedAt(Instant.now()).build());
      await().atMost(Duration.ofSeconds(20)).until(() -> !received.isEmpty());
    }
    String message = received.get(0);
    assertThat(message).startsWith("escalation|");
    var json = new ObjectMapper().readTree(message.substring("escalation|".length()));
    assertThat(json.get("field").asText()).isEqualTo("escalation_needed");
    assertThat(json.get("turn_id").asText()).isEqualTo("t2");
    assertThat(json.at("/data/issue_category").asText()).isEqualTo("billing");
  }

  /**
   * The built-in end_call: a turn whose fields say {@code end_call: true} is heard to its end, then the room is closed
   * through LiveKit's room service and the caller is disconnected; a turn without it leaves the call open.
   */
  @Test
  void aTurnThatEndsTheCallClosesTheRoomOnceItsGoodbyeHasPlayed(TestLiveKit livekit) throws Exception {
    String room = "end-call-" + UUID.randomUUID().toString().substring(0, 8);
    List<PlaybackEvent> events = new CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicLong disconnectedAt = new java.util.concurrent.atomic.AtomicLong();
    AccessToken callerToken = new AccessToken(livekit.apiKey(), livekit.apiSecret());
    callerToken.setIdentity("caller");
    callerToken.addGrants(new RoomJoin(true), new RoomName(room), new io.livekit.server.CanSubscribe(true));
    dev.parley.livekit.LiveKitRooms rooms = new dev.parley.livekit.LiveKitRooms(livekit.wsUrl(), livekit.apiKey(),
        livekit.apiSecret());
    try (FreeTtsTts freeTts = new FreeTtsTts();
        VoiceSession session = new VoiceSession("s-" + room, livekit.wsUrl(), token(livekit, room), voices(freeTts),
            true, events::add, name -> {
              try {
                rooms.close(name);
              } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
        dev.parley.livekit.RoomParticipant caller = dev.parley.livekit.RoomParticipant.join(livekit.wsUrl(),
            callerToken.toJwt(), new dev.parley.livekit.RoomListener() {
              @Override
              public void onDisconnected(String reason) {
                disconnectedAt.compareAndSet(0, System.currentTimeMillis());
              }
            }, true, Duration.ofSeconds(20))) {
      await().atMost(Duration.ofSeconds(20)).until(session::callerPresent);
      speakAndFinish(session, events, "t1");
      session.turn(turn("t1"), new ObjectMapper().createObjectNode().put("end_call", false));
      Thread.sleep(1500);
      assertThat(disconnectedAt.get()).as("a turn that does not end the call leaves it open").isZero();

      session.chunk(AgentReplyChunk.newBuilder().setSessionId("s").setTurnId("t2").setAgentId("support")
          .setConfigVersion(1).setChunkIndex(0).setText("Thanks for calling, goodbye!").setCreatedAt(Instant.now())
          .build(), OFFSETS.getAndIncrement());
      session.turn(turn("t2"), new ObjectMapper().createObjectNode().put("end_call", true));
      await().atMost(Duration.ofSeconds(30)).until(() -> disconnectedAt.get() > 0);
      PlaybackEvent goodbye = finished(events, "t2");
      assertThat(disconnectedAt.get()).as("closed after the goodbye had played, not over it")
          .isGreaterThanOrEqualTo(goodbye.getAt().toEpochMilli());
      assertThat(goodbye.getAudioMsPlayed()).isGreaterThan(500);
      assertThat(rooms.participants(room)).as("the room is gone").isEmpty();
    }
  }

  private static final java.util.concurrent.atomic.AtomicLong OFFSETS = new java.util.concurrent.atomic.AtomicLong();

  private static void speakAndFinish(VoiceSession session, List<PlaybackEvent> events, String turn) {
    session.chunk(AgentReplyChunk.newBuilder().setSessionId("s").setTurnId(turn).setAgentId("pte")
        .setConfigVersion(1).setChunkIndex(0).setText(SENTENCE).setCreatedAt(Instant.now()).build(),
        OFFSETS.getAndIncrement());
    await().atMost(Duration.ofSeconds(60)).until(() -> events.stream()
        .anyMatch(e -> e.getTurnId().equals(turn) && e.getKind() == PlaybackKind.FINISHED));
  }

  private static PlaybackEvent finished(List<PlaybackEvent> events, String turn) {
    return events.stream().filter(e -> e.getTurnId().equals(turn) && e.getKind() == PlaybackKind.FINISHED)
        .findFirst().orElseThrow();
  }

  private static AgentTurn turn(String id) {
    return AgentTurn.newBuilder().setSessionId("s").setTurnId(id).setAgentId("pte").setConfigVersion(1)
        .setSchemaId("pte_interview_turn_v1").setSystemResponse(SENTENCE).setStructuredFields("{}")
        .setProvider("local").setModel("m").setTotalMs(1).setChunkCount(1).setOutcome(TurnOutcome.OK)
        .setCreatedAt(Instant.now()).setUserTranscript("hello").build();
  }

  private static VoiceSession.Voices voices(TextToSpeech voice) {
    return new VoiceSession.Voices() {
      @Override
      public TextToSpeech of(String agentId, int configVersion) {
        return voice;
      }

      @Override
      public double speedOf(String agentId, int configVersion) {
        return 1.0;
      }

      @Override
      public TextToSpeech fallback() {
        return voice;
      }
    };
  }

  private static String token(TestLiveKit livekit, String room) {
    AccessToken token = new AccessToken(livekit.apiKey(), livekit.apiSecret());
    token.setIdentity("agent-voice-test");
    token.addGrants(new RoomJoin(true), new RoomName(room), new CanPublish(true), new CanPublishData(true));
    return token.toJwt();
  }
}
