package dev.parley.llm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.kit.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The processor's way of answering a turn, outside the pipeline: same prompt, schema, providers,
 * validation, repair and fallback as a live turn, but nothing is read from or written to Kafka.
 * What-if replay uses it to run recorded user turns through another config version.
 */
public final class OfflineResponder {
  private final TurnResponder responder;

  private OfflineResponder(LlmProvider provider) {
    this.responder = new TurnResponder(provider, new CircuitBreaker(5, java.time.Duration.ofSeconds(30), java.time.Clock.systemUTC()));
  }

  /** Providers configured like llm-processor's, from these settings (OPENAI_*, PARLEY_LOCAL_*). */
  public static OfflineResponder from(Map<String, String> environment) {
    Settings settings = new Settings(environment);
    LlmSettings llm = LlmSettings.from(settings);
    settings.validate("LLM provider settings");
    return new OfflineResponder(new Providers(llm));
  }

  /** One exchange of the conversation so far; {@code user} is empty for the greeting. */
  public record Exchange(String user, String agent) {}

  /** The answer: what would be spoken, the structured fields, and whether it fell back. */
  public record Reply(String spoken, ObjectNode fields, String outcome, String fallbackReason, long totalMs) {}

  public Reply answer(AgentConfig config, List<Exchange> history, String userText) {
    List<SessionHistory.Exchange> exchanges = new ArrayList<>();
    for (int i = 0; i < history.size(); i++) {
      exchanges.add(new SessionHistory.Exchange("replay-" + i, history.get(i).user(), history.get(i).agent()));
    }
    long start = System.nanoTime();
    TurnResponder.Answer answer = responder.answer(config, exchanges, userText, (index, text) -> { });
    return new Reply(answer.spoken(), answer.fields(), answer.outcome().name(), answer.fallbackReason(),
        (System.nanoTime() - start) / 1_000_000);
  }
}
