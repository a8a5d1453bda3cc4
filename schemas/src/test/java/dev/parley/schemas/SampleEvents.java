package dev.parley.schemas;

import dev.parley.events.AgentConfigSnapshot;
import dev.parley.events.AgentReply;
import dev.parley.events.AgentReplyChunk;
import dev.parley.events.AgentTurn;
import dev.parley.events.ConfigStatus;
import dev.parley.events.DeadLetter;
import dev.parley.events.PlaybackEvent;
import dev.parley.events.PlaybackKind;
import dev.parley.events.RoutedEvent;
import dev.parley.events.RoutingDecision;
import dev.parley.events.RoutingRulesSnapshot;
import dev.parley.events.RoutingStrategy;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionSummary;
import dev.parley.events.SessionStarted;
import dev.parley.events.TurnOutcome;
import dev.parley.events.UserEvent;
import dev.parley.events.UserSpeechStarted;
import dev.parley.events.UserSpeechStopped;
import dev.parley.events.UserTurn;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/** One fully populated record of every event type, for a given session (shared with other modules' tests). */
public final class SampleEvents {
  private static final Instant T0 = Instant.now().truncatedTo(ChronoUnit.MILLIS);

  private SampleEvents() {}

  /** Creates every catalogue topic and the given derived ones (a per-agent topic, a dead-letter topic...). */
  public static void createEveryTopic(org.apache.kafka.clients.admin.Admin admin, Topic<?, ?>... derived) {
    java.util.List<Topic<?, ?>> topics = new java.util.ArrayList<>(Topics.all());
    topics.addAll(java.util.List.of(derived));
    new TopicProvisioner(admin, (short) 1).ensure(topics);
  }

  public static SessionStarted sessionStarted(String session) {
    return SessionStarted.newBuilder().setSessionId(session).setRoomName("room-" + session)
        .setRoomSid("RM_1").setParticipantIdentity("caller-1").setParticipantSid("PA_1").setTenantId("acme")
        .setUserId("user-7").setRoomMetadata("{\"purpose\":\"support\"}").setParticipantMetadata("{}")
        .setParticipantAttributes(Map.of("tier", "premium")).setWorkerId("AW_1").setJobId("AJ_1")
        .setStartedAt(T0).build();
  }

  public static UserTurn userTurn(String session) {
    return UserTurn.newBuilder().setSessionId(session).setTurnId(session + "-t0").setTurnIndex(0)
        .setTranscript("My account login isn't working").setConfidence(0.93).setSpeechStartedAt(T0)
        .setSpeechStoppedAt(T0.plusMillis(1800)).setTranscribedAt(T0.plusMillis(2100)).setSttProvider("pocketsphinx")
        .setSttLatencyMs(300).setLanguage("en-US").build();
  }

  public static SessionEvent[] sessionEvents(String session) {
    return new SessionEvent[] {
        new SessionEvent(sessionStarted(session)),
        new SessionEvent(SessionEnded.newBuilder().setSessionId(session).setReason("caller_left")
            .setEndedAt(T0.plusSeconds(60)).build())};
  }

  public static UserEvent[] userEvents(String session) {
    return new UserEvent[] {
        new UserEvent(new UserSpeechStarted(session, "sp-1", T0)),
        new UserEvent(new UserSpeechStopped(session, "sp-1", T0, T0.plusMillis(1800), null, null)),
        new UserEvent(userTurn(session))};
  }

  public static RoutingDecision routingDecision(String session) {
    return RoutingDecision.newBuilder().setSessionId(session).setAgentId("support-agent-v1").setConfigVersion(3)
        .setStrategy(RoutingStrategy.PURPOSE).setRuleId("purpose:support").setReason("purpose 'support' maps to support-agent-v1")
        .setRulesVersion(2).setDecidedAt(T0.plusMillis(5)).build();
  }

  public static RoutedEvent routedEvent(String session) {
    return RoutedEvent.newBuilder().setSessionId(session).setAgentId("support-agent-v1").setConfigVersion(3)
        .setRoutedAt(T0.plusMillis(2105)).setEvent(userTurn(session)).build();
  }

  public static AgentReply[] agentReplies(String session) {
    AgentReplyChunk chunk = AgentReplyChunk.newBuilder().setSessionId(session).setTurnId(session + "-t0")
        .setAgentId("support-agent-v1").setConfigVersion(3).setChunkIndex(0)
        .setText("I'm sorry to hear that, let's get you back in.").setCreatedAt(T0.plusMillis(2400)).build();
    AgentTurn turn = AgentTurn.newBuilder().setSessionId(session).setTurnId(session + "-t0")
        .setAgentId("support-agent-v1").setConfigVersion(3).setSchemaId("support_turn_v1")
        .setSystemResponse("I'm sorry to hear that, let's get you back in.")
        .setStructuredFields("{\"issue_category\":\"account\",\"sentiment\":\"negative\"}")
        .setProvider("openai").setModel("gpt-4o-mini").setPromptTokens(210).setCompletionTokens(48)
        .setTimeToFirstTokenMs(180L).setTimeToFirstChunkMs(320L).setTotalMs(900).setChunkCount(1)
        .setOutcome(TurnOutcome.OK).setCreatedAt(T0.plusMillis(3000)).build();
    return new AgentReply[] {new AgentReply(chunk), new AgentReply(turn)};
  }

  public static PlaybackEvent playback(String session) {
    return PlaybackEvent.newBuilder().setSessionId(session).setTurnId(session + "-t0")
        .setKind(PlaybackKind.INTERRUPTED).setAt(T0.plusMillis(3500)).setAudioMsPlayed(1200).setChunksPlayed(1)
        .setHeardText("I'm sorry to hear that,").setUnheardText("let's get you back in.").build();
  }

  public static dev.parley.events.VoicePosition voicePosition(String session) {
    return dev.parley.events.VoicePosition.newBuilder().setSessionId(session).setInstance("tts-egress@host-1").setRoomName("room-1")
        .setReplyOffset(41).setAudioMs(1_240).setSentenceDone(false).setInterruptedTurnId(session + "-t0")
        .setAt(T0.plusMillis(3600)).build();
  }

  public static dev.parley.events.ListenerHeartbeat listener(String session) {
    return dev.parley.events.ListenerHeartbeat.newBuilder().setSessionId(session).setInstance("ingress-worker@host-2")
        .setRoomName("room-1").setAt(T0.plusMillis(3700)).setListeningSince(T0.plusMillis(1200)).build();
  }

  public static SessionSummary summary(String session) {
    return SessionSummary.newBuilder().setSessionId(session).setAgentId("support-agent-v1").setConfigVersion(4)
        .setSummary("The caller could not log in; a password reset link was sent.")
        .setFinalFields("{\"issue_category\":\"account\",\"issue_resolved\":true}").setUserTurns(2)
        .setEndReason("caller_ended").setOutcome(TurnOutcome.OK).setCreatedAt(T0.plusMillis(9000)).build();
  }

  public static AgentConfigSnapshot agentConfig(String agentId) {
    return AgentConfigSnapshot.newBuilder().setAgentId(agentId).setTenantId("acme").setVersion(4)
        .setStatus(ConfigStatus.ACTIVE).setConfigJson("{\"agent_id\":\"" + agentId + "\"}").setUpdatedAt(T0).build();
  }

  public static RoutingRulesSnapshot routingRules(String rulesId) {
    return RoutingRulesSnapshot.newBuilder().setRulesId(rulesId).setVersion(2)
        .setRulesJson("{\"default_agent\":\"support-agent-v1\"}").setUpdatedAt(T0).build();
  }

  public static dev.parley.events.ToolCall toolCall(String session) {
    return dev.parley.events.ToolCall.newBuilder().setSessionId(session).setTurnId(session + "-t0")
        .setCallId(session + "-t0#0").setAgentId("support-agent-v1").setConfigVersion(3).setTool("order_status")
        .setArguments("{\"order_id\":\"A-100\"}").setRequestedAt(T0.plusMillis(2200)).build();
  }

  public static dev.parley.events.ToolResult toolResult(String session) {
    return dev.parley.events.ToolResult.newBuilder().setSessionId(session).setTurnId(session + "-t0")
        .setCallId(session + "-t0#0").setTool("order_status").setOutcome(dev.parley.events.ToolOutcome.OK)
        .setStatusCode(200).setResult("{\"status\":\"shipped\"}").setAttempts(1).setLatencyMs(140)
        .setRunner("tool-runner@host-3").setCompletedAt(T0.plusMillis(2340)).build();
  }

  public static dev.parley.events.Handoff handoff(String session) {
    return dev.parley.events.Handoff.newBuilder().setSessionId(session).setTurnId(session + "#2")
        .setFromAgentId("support").setFromConfigVersion(3).setToAgentId("sales")
        .setUserTranscript("Can I talk to someone about pricing for my team?")
        .setSystemResponse("Sure. One moment, I'm passing you to sales.").setRequestedAt(T0.plusMillis(2500)).build();
  }

  public static DeadLetter deadLetter(String session) {
    return DeadLetter.newBuilder().setOriginTopic("parley.user-turns.v1").setOriginPartition(2).setOriginOffset(41)
        .setOriginTimestamp(T0).setKey(ByteBuffer.wrap(session.getBytes(StandardCharsets.UTF_8)))
        .setValue(ByteBuffer.wrap(new byte[] {1, 2, 3})).setStage("router-stream")
        .setErrorClass("org.apache.kafka.common.errors.SerializationException")
        .setErrorMessage("UserEvent: not Avro single-object encoded").setFailedAt(T0.plusMillis(1)).build();
  }
}
