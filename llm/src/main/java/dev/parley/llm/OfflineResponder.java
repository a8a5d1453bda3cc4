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

  /**
   * The answer: what would be spoken, the structured fields, whether it fell back, and the tools the model asked for
   * (none are called: each gets the result recorded for the same call, if there is one).
   */
  public record Reply(String spoken, ObjectNode fields, String outcome, String fallbackReason, long totalMs,
      List<ToolUse> tools) {
    public Reply(String spoken, ObjectNode fields, String outcome, String fallbackReason, long totalMs) {
      this(spoken, fields, outcome, fallbackReason, totalMs, List.of());
    }
  }

  /**
   * A tool the model asked for in a replayed turn: its name and arguments (JSON), what the model was told, and whether
   * that was the result recorded for the same call.
   */
  public record ToolUse(String tool, String arguments, String result, boolean recorded) {}

  /** What the model is told of a call the recorded session did not make: nothing is called during a replay. */
  public static final String NOT_RECORDED = "error: NOT_RECORDED: this call was not made in the recorded session,"
      + " and a replay calls no tool";

  public Reply answer(AgentConfig config, List<Exchange> history, String userText) {
    return answer(config, history, userText, call -> java.util.Optional.empty());
  }

  /**
   * Answers like a live turn; a tool the model asks for is not called: it gets {@code recorded}'s result for that call
   * (same tool, same arguments), or {@link #NOT_RECORDED}.
   */
  public Reply answer(AgentConfig config, List<Exchange> history, String userText,
      java.util.function.Function<LlmProvider.ToolRequest, java.util.Optional<String>> recorded) {
    List<SessionHistory.Exchange> exchanges = new ArrayList<>();
    for (int i = 0; i < history.size(); i++) {
      exchanges.add(new SessionHistory.Exchange("replay-" + i, history.get(i).user(), history.get(i).agent()));
    }
    long start = System.nanoTime();
    List<ToolUse> uses = new ArrayList<>();
    TurnResponder.Answer answer = responder.answerUsingTools(config, exchanges, userText, (index, text) -> { },
        (call, number) -> {
          java.util.Optional<String> result = recorded.apply(call);
          uses.add(new ToolUse(call.tool(), call.arguments().toString(), result.orElse(NOT_RECORDED),
              result.isPresent()));
          return result.orElse(NOT_RECORDED);
        });
    return new Reply(answer.spoken(), answer.fields(), answer.outcome().name(), answer.fallbackReason(),
        (System.nanoTime() - start) / 1_000_000, uses);
  }
}
