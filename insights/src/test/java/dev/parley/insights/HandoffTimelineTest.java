package dev.parley.insights;

import static org.assertj.core.api.Assertions.assertThat;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.SeedAgents;
import dev.parley.events.AgentTurn;
import dev.parley.events.Handoff;
import dev.parley.events.RoutingDecision;
import dev.parley.events.RoutingStrategy;
import dev.parley.events.TurnOutcome;
import dev.parley.events.UserTurn;
import dev.parley.llm.OfflineResponder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A session support passed to sales, in `parley replay` and `parley whatif`. */
class HandoffTimelineTest {
  private static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");
  private static final AgentConfig SALES = SeedAgents.all().get(1);
  private static final AgentConfig SUPPORT = SeedAgents.all().get(0);

  private static SessionTimeline session() {
    long t = T0.toEpochMilli();
    return SessionTimeline.of("h-1", List.of(
        new Recorded("parley.routing-decisions.v1", 0, 1, t, "h-1", decision("support-agent-v1",
            RoutingStrategy.PURPOSE, "purpose 'support'"), false),
        new Recorded("parley.user-turns.v1", 0, 2, t + 1000, "h-1", turn("h-1#0", 0, "my login is broken"), false),
        new Recorded("parley.agent-replies.v1", 0, 3, t + 2000, "h-1", answer("h-1#0", "support-agent-v1",
            "my login is broken", "Try resetting your password."), false),
        new Recorded("parley.user-turns.v1", 0, 4, t + 5000, "h-1", turn("h-1#1", 1, "pricing for 20 seats?"), false),
        new Recorded("parley.agent-replies.v1", 0, 5, t + 6000, "h-1", answer("h-1#1", "support-agent-v1",
            "pricing for 20 seats?", "One moment, I'm passing you to sales."), false),
        new Recorded("parley.handoffs.v1", 0, 6, t + 6001, "h-1", Handoff.newBuilder().setSessionId("h-1")
            .setTurnId("h-1#1").setFromAgentId("support-agent-v1").setFromConfigVersion(1)
            .setToAgentId("sales-agent-v1").setUserTranscript("pricing for 20 seats?")
            .setSystemResponse("One moment, I'm passing you to sales.").setRequestedAt(T0).build(), false),
        new Recorded("parley.routing-decisions.v1", 0, 7, t + 6002, "h-1", decision("sales-agent-v1",
            RoutingStrategy.HANDOFF, "handed off by support-agent-v1 (v1) in turn h-1#1"), false),
        new Recorded("parley.agent-replies.v1", 0, 8, t + 8000, "h-1", answer("h-1#handoff-1", "sales-agent-v1",
            "pricing for 20 seats?", "For 20 seats the team plan fits."), false),
        new Recorded("parley.user-turns.v1", 0, 9, t + 12000, "h-1", turn("h-1#2", 2, "per seat?"), false),
        new Recorded("parley.agent-replies.v1", 0, 10, t + 13000, "h-1", answer("h-1#2", "sales-agent-v1",
            "per seat?", "15 dollars a seat."), false)));
  }

  @Test
  void theTimelineShowsWhoPassedTheCallerAndTheNextAgentsPickUp() {
    String text = session().toText();
    assertThat(text).contains("routed to sales-agent-v1 v1 (HANDOFF: handed off by support-agent-v1 (v1) in turn h-1#1)")
        .contains("Picked up after a hand-off  [h-1#handoff-1]\n  caller: pricing for 20 seats?  (said to the agent"
            + " that passed them)\n  agent:  [sales-agent-v1] For 20 seats the team plan fits.")
        .contains("agent:  [support-agent-v1] Try resetting your password.")
        .contains("hand-off: support-agent-v1 passed the caller to sales-agent-v1 in h-1#1");
    assertThat(session().agentId()).isEqualTo("sales-agent-v1");
  }

  @Test
  void whatIfReplaysOnlyTheCandidateAgentsPartWithTheOtherAgentsAnswersAsRecorded() {
    List<String> asked = new ArrayList<>();
    List<Integer> historySizes = new ArrayList<>();
    WhatIf whatIf = new WhatIf((config, history, user, recorded) -> {
      asked.add(user);
      historySizes.add(history.size());
      return new OfflineResponder.Reply("New " + config.agentId() + " answer.", AgentConfigJson.MAPPER
          .createObjectNode(), "OK", null, 5, List.of());
    });

    WhatIf.Result sales = whatIf.replay(session(), SALES, line -> { });
    assertThat(asked).as("the pick-up and the line after it").containsExactly("pricing for 20 seats?", "per seat?");
    assertThat(historySizes.get(0)).as("greeting + support's two answers as recorded").isEqualTo(3);
    assertThat(sales.turns()).extracting(WhatIf.TurnDiff::index).containsExactly(1, 2);
    assertThat(sales.turns().get(0).recordedReply()).isEqualTo("For 20 seats the team plan fits.");
    assertThat(sales.recordedAgent()).isEqualTo("sales-agent-v1");

    asked.clear();
    WhatIf.Result support = whatIf.replay(session(), SUPPORT, line -> { });
    assertThat(asked).containsExactly("my login is broken", "pricing for 20 seats?");
    assertThat(support.turns()).hasSize(2);
  }

  private static RoutingDecision decision(String agent, RoutingStrategy strategy, String reason) {
    return RoutingDecision.newBuilder().setSessionId("h-1").setAgentId(agent).setConfigVersion(1).setStrategy(strategy)
        .setReason(reason).setDecidedAt(T0).build();
  }

  private static UserTurn turn(String id, int index, String words) {
    return UserTurn.newBuilder().setSessionId("h-1").setTurnId(id).setTurnIndex(index).setTranscript(words)
        .setSpeechStartedAt(T0).setSpeechStoppedAt(T0).setTranscribedAt(T0).build();
  }

  private static AgentTurn answer(String turnId, String agent, String user, String spoken) {
    return AgentTurn.newBuilder().setSessionId("h-1").setTurnId(turnId).setAgentId(agent).setConfigVersion(1)
        .setSchemaId("x").setUserTranscript(user).setSystemResponse(spoken).setStructuredFields("{}")
        .setProvider("local").setModel("m").setTotalMs(1000).setChunkCount(1).setOutcome(TurnOutcome.OK)
        .setCreatedAt(T0).build();
  }
}
