package dev.parley.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.events.AgentTurn;
import dev.parley.events.Handoff;
import dev.parley.events.RoutingDecision;
import dev.parley.events.RoutingStrategy;
import dev.parley.events.SessionEnded;
import dev.parley.events.SessionEvent;
import dev.parley.events.SessionSummary;
import dev.parley.insights.SessionLog;
import dev.parley.insights.SessionTimeline;
import dev.parley.localstack.junit.KafkaBrokerExtension;
import dev.parley.localstack.junit.TestKafka;
import dev.parley.schemas.AvroSerde;
import dev.parley.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The built-in hand-off through real processes: router-stream and one llm-processor serving a support and a sales
 * agent on the offline model. The caller talks to support about a login, then asks for sales mid-call: support says
 * it is passing them on, router-stream pins the session to sales (a HANDOFF decision), sales answers the pricing
 * question as its first words with the support part of the call in its history, and answers the next line; the
 * session's summary, written by sales, counts every caller line of both agents.
 */
@ExtendWith(KafkaBrokerExtension.class)
class HandoffIT {

  @Test
  void supportPassesTheCallerToSalesMidCallWithTheConversationSoFar(TestKafka kafka) throws Exception {
    String run = "ho" + UUID.randomUUID().toString().substring(0, 6);
    Path dir = Path.of("target", "handoff-it", run).toAbsolutePath();
    String sales = run + "-sales";
    try (FaultsIT.Pipeline pipeline = FaultsIT.Pipeline.startLocal(kafka.bootstrapServers(), run, dir,
        json -> handoffTo(json, sales), Map.of(), Map.of("sales-agent-v1", json -> { }));
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.clientConfig(),
            Serdes.String().serializer(), Serdes.ByteArray().serializer())) {
      String session = run + "-s0";
      pipeline.startSession(producer, session);
      pipeline.sendTurn(producer, session, 0, "My account login isn't working.");
      producer.flush();
      pipeline.awaitAnswers(kafka.bootstrapServers(), 2, Duration.ofMinutes(3));
      pipeline.sendTurn(producer, session, 1, "Thanks. Can I also talk to someone in sales about pricing for my"
          + " team of 20?");
      producer.flush();
      FaultsIT.Answers answers = pipeline.awaitAnswers(kafka.bootstrapServers(), 4, Duration.ofMinutes(3));
      pipeline.sendTurn(producer, session, 2, "What would that cost per person?");
      producer.flush();
      answers = pipeline.awaitAnswers(kafka.bootstrapServers(), 5, Duration.ofMinutes(3));
      List<AgentTurn> turns = answers.turns.get(session);
      turns.forEach(t -> System.out.println(t.getTurnId() + " [" + t.getAgentId() + "]\n  caller: "
          + t.getUserTranscript() + "\n  agent:  " + t.getSystemResponse()));

      assertThat(turns).extracting(t -> t.getTurnId() + "@" + t.getAgentId()).containsExactly(
          session + "#greeting@" + pipeline.agent, session + "#0@" + pipeline.agent,
          session + "#1@" + pipeline.agent, session + "#handoff-1@" + sales, session + "#2@" + sales);
      AgentTurn passing = turns.get(2);
      assertThat(passing.getStructuredFields()).contains("\"handoff_to\":\"" + sales + "\"");
      assertThat(turns.get(1).getStructuredFields()).as("the login problem stays with support")
          .contains("\"handoff_to\":\"none\"");
      assertThat(passing.getSystemResponse().toLowerCase()).as("the caller hears they are passed on")
          .containsAnyOf("passing you to", "transfer", "connect");
      AgentTurn pickedUp = turns.get(3);
      assertThat(pickedUp.getUserTranscript()).as("sales picks up the request that passed the caller")
          .contains("pricing for my team of 20");
      assertThat(pickedUp.getSystemResponse()).isNotBlank();

      List<Handoff> handoffs = ToolsIT.decoded(kafka, Topics.HANDOFFS.name(), Handoff.class).stream()
          .filter(h -> h.getSessionId().equals(session)).toList();
      assertThat(handoffs).singleElement().satisfies(h -> {
        assertThat(h.getFromAgentId()).isEqualTo(pipeline.agent);
        assertThat(h.getToAgentId()).isEqualTo(sales);
        assertThat(h.getTurnId()).isEqualTo(session + "#1");
      });
      List<RoutingDecision> decisions = ToolsIT.decoded(kafka, Topics.ROUTING_DECISIONS.name(), RoutingDecision.class)
          .stream().filter(d -> d.getSessionId().equals(session)).toList();
      assertThat(decisions).extracting(d -> d.getAgentId() + " " + d.getStrategy())
          .containsExactly(pipeline.agent + " " + RoutingStrategy.EXPLICIT_AGENT, sales + " " + RoutingStrategy.HANDOFF);

      producer.send(new ProducerRecord<>(Topics.SESSIONS.name(), session, AvroSerde.of(SessionEvent.class).encode(
          new SessionEvent(SessionEnded.newBuilder().setSessionId(session).setReason("caller_left")
              .setEndedAt(Instant.now()).build())))).get();
      SessionSummary summary = Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
          .until(() -> ToolsIT.decoded(kafka, Topics.SESSION_SUMMARIES.name(), SessionSummary.class).stream()
              .filter(s -> s.getSessionId().equals(session)).findFirst().orElse(null), s -> s != null);
      System.out.println("summary [" + summary.getAgentId() + "]: " + summary.getSummary());
      assertThat(summary.getAgentId()).isEqualTo(sales);
      assertThat(summary.getUserTurns()).as("the support part of the call is in sales' history").isEqualTo(3);

      SessionTimeline timeline;
      try (SessionLog log = new SessionLog(kafka.bootstrapServers())) {
        timeline = SessionTimeline.of(session, log.session(session));
      }
      String text = timeline.toText();
      System.out.println(text);
      chatPassesOn(kafka, pipeline.agent, sales);
      assertThat(text).contains("routed to " + sales).contains("HANDOFF").contains("handed off by " + pipeline.agent)
          .contains("Picked up after a hand-off  [" + session + "#handoff-1]").contains("agent:  [" + sales + "] ")
          .containsPattern("parley\\.handoffs\\.v1 +hand-off: " + pipeline.agent + " passed the caller to " + sales);
    }
  }

  /** {@code parley chat}, as a user types it: the pick-up by sales is shown after support's passing line. */
  private static void chatPassesOn(TestKafka kafka, String support, String sales) throws Exception {
    ChatIT.Result chat = ChatIT.chat(List.of("chat", "--agent", support, "--kafka", kafka.bootstrapServers(),
        "--timeout", "120"), "Can I talk to someone in sales about a quote for my team of 20?\n/quit\n");
    System.out.println(chat.out());
    assertThat(chat.exit()).isZero();
    assertThat(chat.out()).contains("agent> One moment, I'm passing you to our sales team.")
        .contains("routed to " + sales + " v1 by HANDOFF").contains("OK, " + sales + " v1 via");
  }

  /** The support agent may pass its callers to {@code sales}. */
  private static void handoffTo(ObjectNode config, String sales) {
    ObjectNode tool = config.putArray("tools").addObject();
    tool.put("name", "handoff").put("description", sales + " when the caller wants to buy, upgrade, or asks about"
        + " prices, plans or a quote; otherwise none.").put("waiting_line", "One moment, I'm passing you to our sales"
        + " team.");
    tool.putArray("agents").add(sales);
  }
}
