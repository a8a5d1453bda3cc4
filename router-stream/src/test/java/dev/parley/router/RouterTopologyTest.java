package dev.parley.router;

import static dev.parley.router.RouterHarness.transcriptOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.events.ConfigStatus;
import dev.parley.events.DeadLetter;
import dev.parley.events.RoutedEvent;
import dev.parley.events.RoutingDecision;
import dev.parley.events.RoutingStrategy;
import dev.parley.events.SessionStarted;
import dev.parley.events.UserEvent;
import dev.parley.events.UserTurn;
import dev.parley.routing.RoutingRules;
import dev.parley.routing.RoutingRules.Experiment;
import dev.parley.routing.RoutingRules.Variant;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouterTopologyTest {
  private final RouterHarness router = new RouterHarness();

  @AfterEach
  void close() {
    router.close();
  }

  @ParameterizedTest(name = "{0} -> {1} by {2}")
  @CsvSource(delimiter = '|', value = {
      "{\"purpose\":\"support\"}                                    | support-agent-v1       | PURPOSE",
      "{\"purpose\":\"sales\"}                                      | sales-agent-v1         | PURPOSE",
      "{\"purpose\":\"onboarding\"}                                 | onboarding-agent-v1    | PURPOSE",
      "{\"purpose\":\"interview\"}                                  | pte-interview-agent-v1 | PURPOSE",
      "{\"agent_id\":\"sales-agent-v1\",\"purpose\":\"support\"}   | sales-agent-v1         | EXPLICIT_AGENT",
      "{\"user_details\":{\"is_new_user\":true}}                    | onboarding-agent-v1    | USER_ATTRIBUTE",
      "{\"user_details\":{\"tier\":\"premium\"}}                    | support-agent-v1       | USER_ATTRIBUTE",
      "{}                                                           | support-agent-v1       | DEFAULT"})
  void eachStrategyRoutesTheSessionAndItsTurnsToTheAgentTopic(String metadata, String agent, RoutingStrategy strategy) {
    router.seedAgents();

    router.sessionStarts("s1", metadata.strip());
    router.userSays("s1", "hello");

    RoutingDecision decision = router.decisions().get(0);
    assertThat(decision.getAgentId()).isEqualTo(agent);
    assertThat(decision.getStrategy()).isEqualTo(strategy);
    assertThat(router.routedTo(agent)).extracting(RouterHarness::transcriptOf)
        .containsExactly("SessionStarted", "hello");
    assertThat(router.ensuredTopics).contains(agent);
  }

  @Test
  void anExperimentSplitsSessionsByUserAndRecordsTheVariant() {
    router.seedAgents().agent("sales-agent-v2", 1).rules("default", new RoutingRules(2, "support-agent-v1",
        Map.of(), List.of(), List.of(new Experiment("sales-ab", null, true,
            List.of(new Variant("A", "sales-agent-v1", 1), new Variant("B", "sales-agent-v2", 1))))));

    for (int i = 0; i < 40; i++) {
      router.sessionStarts("s" + i, "{\"user_id\":\"u" + i + "\"}");
    }

    List<RoutingDecision> decisions = router.decisions();
    assertThat(decisions).allSatisfy(d -> {
      assertThat(d.getStrategy()).isEqualTo(RoutingStrategy.EXPERIMENT);
      assertThat(d.getExperimentId()).isEqualTo("sales-ab");
      assertThat(d.getRulesVersion()).isEqualTo(2);
    });
    assertThat(decisions).extracting(RoutingDecision::getVariant).contains("A", "B");
  }

  @Test
  void aRuleChangeAppliesToTheNextSessionWithoutARestart() {
    router.seedAgents();
    router.sessionStarts("before", "{\"purpose\":\"sales\"}");

    router.rules("default", new RoutingRules(5, "support-agent-v1", Map.of("sales", "onboarding-agent-v1"),
        List.of(), List.of()));
    router.sessionStarts("after", "{\"purpose\":\"sales\"}");
    router.userSays("before", "still talking to sales");

    List<RoutingDecision> decisions = router.decisions();
    assertThat(decisions.get(0).getAgentId()).isEqualTo("sales-agent-v1");
    assertThat(decisions.get(1).getAgentId()).isEqualTo("onboarding-agent-v1");
    assertThat(decisions.get(1).getRulesVersion()).isEqualTo(5);
    assertThat(router.routedTo("sales-agent-v1")).extracting(RouterHarness::transcriptOf)
        .containsExactly("SessionStarted", "still talking to sales");
  }

  /** The shared business-hours cases, judged at each session's start: /routing/resolve is held to the same. */
  @Test
  void timeWindowsAreJudgedWhenTheCallerJoined() throws Exception {
    var cases = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        java.nio.file.Path.of("..", "routing", "src", "test", "resources", "time-routing-cases.json").toFile());
    router.seedAgents().rules("default", RoutingRules.fromJson(cases.get("rules").toString()));
    List<String> expected = new java.util.ArrayList<>();
    int i = 0;
    for (var c : cases.get("cases")) {
      router.sessionStartsAt("s-time-" + i++, c.get("metadata").toString(), "", null,
          java.time.Instant.parse(c.get("at").asText()));
      expected.add(c.get("name").asText() + " -> " + c.get("agent_id").asText() + " " + c.get("strategy").asText());
    }
    List<String> routed = new java.util.ArrayList<>();
    var decisions = router.decisions();
    i = 0;
    for (var c : cases.get("cases")) {
      RoutingDecision d = decisions.get(i++);
      routed.add(c.get("name").asText() + " -> " + d.getAgentId() + " " + d.getStrategy());
    }
    assertThat(routed).containsExactlyElementsOf(expected);
  }

  @Test
  void aTenantsOwnRulesWinOverTheDefaultRules() {
    router.seedAgents().rules("globex", new RoutingRules(1, "sales-agent-v1", Map.of(), List.of(), List.of()));

    router.sessionStarts("s-globex", "{}", "", "globex");
    router.sessionStarts("s-acme", "{}", "", "acme");

    assertThat(router.decisions()).extracting(RoutingDecision::getAgentId)
        .containsExactly("sales-agent-v1", "support-agent-v1");
  }

  @Test
  void aSessionStaysOnItsConfigVersionAfterAConfigChange() {
    router.seedAgents().agent("support-agent-v1", 3);
    router.sessionStarts("old", "{\"purpose\":\"support\"}");

    router.agent("support-agent-v1", 4);
    router.userSays("old", "turn after the change");
    router.sessionStarts("new", "{\"purpose\":\"support\"}");
    router.userSays("new", "first turn");

    assertThat(router.routedTo("support-agent-v1"))
        .extracting(e -> e.getSessionId() + ":" + transcriptOf(e) + "@v" + e.getConfigVersion())
        .containsExactly("old:SessionStarted@v3", "old:turn after the change@v3", "new:SessionStarted@v4",
            "new:first turn@v4");
  }

  @Test
  void anArchivedAgentGetsNoNewSessionsButItsRunningSessionsContinue() {
    router.seedAgents();
    router.sessionStarts("running", "{\"purpose\":\"sales\"}");

    router.agent("sales-agent-v1", 2, ConfigStatus.ARCHIVED);
    router.sessionStarts("new", "{\"purpose\":\"sales\"}");
    router.userSays("running", "are you still there?");

    List<RoutingDecision> decisions = router.decisions();
    assertThat(decisions.get(1).getAgentId()).isEqualTo("support-agent-v1");
    assertThat(decisions.get(1).getReason()).contains("archived");
    assertThat(router.routedTo("sales-agent-v1")).extracting(RouterHarness::transcriptOf)
        .containsExactly("SessionStarted", "are you still there?");
  }

  @Test
  void aHandoffPinsTheSessionToTheNextAgentWhichGetsItsStartWithWhereItCameFrom() {
    router.seedAgents().agent("sales-agent-v1", 4);
    router.sessionStarts("h", "{\"purpose\":\"support\"}", "{\"user_details\":{\"name\":\"Ann\"}}", null);
    router.userSays("h", "my login is broken");
    router.handsOff("h", "support-agent-v1", "sales-agent-v1", "h#2", "how much for 20 seats?");
    router.userSays("h", "and per seat?");
    router.sessionEnds("h");

    assertThat(router.routedTo("support-agent-v1")).extracting(RouterHarness::transcriptOf)
        .containsExactly("SessionStarted", "my login is broken");
    List<RoutedEvent> sales = router.routedTo("sales-agent-v1");
    assertThat(sales).extracting(RouterHarness::transcriptOf)
        .containsExactly("SessionStarted", "and per seat?", "SessionEnded");
    assertThat(sales).allSatisfy(e -> assertThat(e.getConfigVersion()).isEqualTo(4));
    SessionStarted handedOver = (SessionStarted) sales.get(0).getEvent();
    assertThat(handedOver.getRoomName()).as("the caller's own start, room and metadata kept").isEqualTo("room-h");
    assertThat(handedOver.getParticipantMetadata()).contains("Ann");
    assertThat(handedOver.getParticipantAttributes()).containsEntry("parley.handoff_from", "support-agent-v1")
        .containsEntry("parley.handoff_turn", "h#2").containsEntry("parley.handoff_request", "how much for 20 seats?");
    List<RoutingDecision> decisions = router.decisions();
    assertThat(decisions).hasSize(2);
    assertThat(decisions.get(1).getStrategy()).isEqualTo(RoutingStrategy.HANDOFF);
    assertThat(decisions.get(1).getAgentId()).isEqualTo("sales-agent-v1");
    assertThat(decisions.get(1).getConfigVersion()).isEqualTo(4);
    assertThat(decisions.get(1).getReason()).contains("handed off by support-agent-v1").contains("h#2");
  }

  @Test
  void aRepeatedStaleOrImpossibleHandoffChangesNothing() {
    router.seedAgents();
    router.agent("archived-agent", 1, ConfigStatus.ARCHIVED);
    router.sessionStarts("r", "{\"purpose\":\"support\"}");
    router.handsOff("r", "support-agent-v1", "no-such-agent", "r#1", "x");
    router.handsOff("r", "support-agent-v1", "archived-agent", "r#1", "x");
    router.handsOff("never-started", "support-agent-v1", "sales-agent-v1", "n#1", "x");
    router.userSays("r", "still support?");
    assertThat(router.routedTo("support-agent-v1")).extracting(RouterHarness::transcriptOf)
        .containsExactly("SessionStarted", "still support?");

    router.handsOff("r", "support-agent-v1", "sales-agent-v1", "r#2", "pricing please");
    router.handsOff("r", "support-agent-v1", "sales-agent-v1", "r#2", "pricing please"); // redelivered
    router.sessionEnds("r");
    router.handsOff("r", "sales-agent-v1", "support-agent-v1", "r#3", "back please"); // after the end
    assertThat(router.routedTo("sales-agent-v1")).extracting(RouterHarness::transcriptOf)
        .containsExactly("SessionStarted", "SessionEnded");
    assertThat(router.routedTo("support-agent-v1")).isEmpty();
    assertThat(router.decisions()).extracting(RoutingDecision::getStrategy)
        .containsExactly(RoutingStrategy.PURPOSE, RoutingStrategy.HANDOFF);
    assertThat(router.routedTo("no-such-agent")).isEmpty();
  }

  @Test
  void turnsThatArriveBeforeTheirSessionWaitAndAreRoutedInOrder() {
    router.seedAgents();

    router.userStartsSpeaking("early");
    router.userSays("early", "first");
    router.userSays("early", "second");
    assertThat(router.routedTo("sales-agent-v1")).isEmpty();

    router.sessionStarts("early", "{\"purpose\":\"sales\"}");

    assertThat(router.routedTo("sales-agent-v1")).extracting(RouterHarness::transcriptOf)
        .containsExactly("SessionStarted", "UserSpeechStarted", "first", "second");
  }

  @Test
  void turnsWhoseSessionNeverStartsAreRoutedByDefaultAfterTheTimeoutNotDropped() {
    router.seedAgents();
    router.userSays("orphan", "is anyone there?");

    router.wallClockAdvances(RouterHarness.PENDING_TIMEOUT.plusSeconds(5));

    RoutingDecision decision = router.decisions().get(0);
    assertThat(decision.getSessionId()).isEqualTo("orphan");
    assertThat(decision.getStrategy()).isEqualTo(RoutingStrategy.DEFAULT);
    assertThat(decision.getReason()).contains("no SessionStarted within 30 s");
    assertThat(router.routedTo("support-agent-v1")).extracting(RouterHarness::transcriptOf)
        .containsExactly("is anyone there?");
  }

  @Test
  void eventsAfterTheSessionEndedStillReachItsAgent() {
    router.seedAgents();
    router.sessionStarts("s", "{\"purpose\":\"sales\"}");
    router.sessionEnds("s");

    router.userSays("s", "late final transcript");
    router.wallClockAdvances(Duration.ofMinutes(11));
    router.userSays("s", "much later");

    assertThat(router.routedTo("sales-agent-v1")).extracting(RouterHarness::transcriptOf)
        .containsExactly("SessionStarted", "SessionEnded", "late final transcript");
    assertThat(router.decisions()).hasSize(1);
  }

  @Test
  void unreadableMetadataGoesToTheDefaultAgentWithTheReason() {
    router.seedAgents();

    router.sessionStarts("s", "purpose=sales", "{\"purpose\": [", null);

    RoutingDecision decision = router.decisions().get(0);
    assertThat(decision.getAgentId()).isEqualTo("support-agent-v1");
    assertThat(decision.getReason()).contains("room metadata is not JSON").contains("participant metadata is not JSON");
  }

  @Test
  void anUnknownAgentIdGoesToTheDefaultAgentWithTheReason() {
    router.seedAgents();

    router.sessionStarts("s", "{\"agent_id\":\"ghost-agent\"}");

    RoutingDecision decision = router.decisions().get(0);
    assertThat(decision.getStrategy()).isEqualTo(RoutingStrategy.DEFAULT);
    assertThat(decision.getReason()).contains("'ghost-agent', which is unknown");
  }

  @Test
  void unreadableRulesFallBackToTheBuiltInRulesAndSaySo() {
    router.seedAgents().rawRules("default", 9, "{\"default_agent\": 12");

    router.sessionStarts("s", "{\"purpose\":\"sales\"}");

    RoutingDecision decision = router.decisions().get(0);
    assertThat(decision.getAgentId()).isEqualTo("sales-agent-v1");
    assertThat(decision.getReason()).contains("rules 'default' v9 unreadable");
  }

  @Test
  void aRecordThatIsNotAnEventGoesToTheDeadLetterTopicAndThePartitionKeepsFlowing() {
    router.seedAgents();
    router.sessionStarts("s", "{\"purpose\":\"sales\"}");

    router.rawUserTurnBytes("s", "{\"transcript\":\"not avro\"}".getBytes(StandardCharsets.UTF_8));
    router.userSays("s", "after the poison pill");

    List<DeadLetter> dead = router.deadLetters(Topics.USER_TURNS.name());
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).getOriginTopic()).isEqualTo(Topics.USER_TURNS.name());
    assertThat(dead.get(0).getStage()).isEqualTo("router-stream");
    assertThat(dead.get(0).getErrorMessage()).contains("not Avro single-object encoded");
    assertThat(StandardCharsets.UTF_8.decode(dead.get(0).getValue()).toString()).contains("not avro");
    assertThat(router.routedTo("sales-agent-v1")).extracting(RouterHarness::transcriptOf)
        .containsExactly("SessionStarted", "after the poison pill");
  }

  @Test
  void aRecordWithoutSessionKeyIsDeadLettered() {
    router.seedAgents();
    byte[] valid = AvroSerde.of(UserEvent.class).encode(new UserEvent(UserTurn.newBuilder().setSessionId("x")
        .setTurnId("x-0").setTurnIndex(0).setTranscript("keyless").setSpeechStartedAt(java.time.Instant.EPOCH)
        .setSpeechStoppedAt(java.time.Instant.EPOCH).setTranscribedAt(java.time.Instant.EPOCH).build()));

    router.rawUserTurnBytes(null, valid);

    List<DeadLetter> dead = router.deadLetters(Topics.USER_TURNS.name());
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).getErrorMessage()).contains("no session id key");
  }

  @Test
  void aDuplicateSessionStartKeepsTheFirstDecision() {
    router.seedAgents();
    router.sessionStarts("s", "{\"purpose\":\"sales\"}");

    router.sessionStarts("s", "{\"purpose\":\"support\"}");

    assertThat(router.decisions()).hasSize(1);
    List<RoutedEvent> routed = router.routedTo("sales-agent-v1");
    assertThat(routed).hasSize(2).allSatisfy(e -> assertThat(e.getEvent()).isInstanceOf(SessionStarted.class));
  }
}
