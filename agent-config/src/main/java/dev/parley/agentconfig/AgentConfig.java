package dev.parley.agentconfig;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.List;

/**
 * One agent, as data: who it is, what it says, what it extracts, and how it listens and speaks.
 * {@code version}, {@code status} and the timestamps are set by config-service; clients may omit them.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AgentConfig(
    @JsonProperty("agent_id") String agentId,
    @JsonProperty("tenant_id") String tenantId,
    @JsonProperty("name") String name,
    @JsonProperty("description") String description,
    @JsonProperty("prompt_config") PromptConfig promptConfig,
    @JsonProperty("schema_config") SchemaConfig schemaConfig,
    @JsonProperty("llm_config") LlmConfig llmConfig,
    @JsonProperty("voice_config") VoiceConfig voiceConfig,
    @JsonProperty("stt_config") SttConfig sttConfig,
    @JsonProperty("tools") List<ToolConfig> tools,
    @JsonProperty("version") Integer version,
    @JsonProperty("status") String status,
    @JsonProperty("created_at") Instant createdAt,
    @JsonProperty("updated_at") Instant updatedAt) {

  public static final String ACTIVE = "active";
  public static final String ARCHIVED = "archived";

  /** The system prompt and the first thing the agent says. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PromptConfig(@JsonProperty("instructions") String instructions,
      @JsonProperty("greeting") String greeting) {}

  /** The structured output the LLM returns with every reply, besides the spoken {@code system_response}. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SchemaConfig(@JsonProperty("schema_id") String schemaId,
      @JsonProperty("fields") List<SchemaField> fields) {}

  /** One structured field. {@code min}/{@code max} bound numbers; {@code items} describes array elements. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SchemaField(@JsonProperty("name") String name, @JsonProperty("type") String type,
      @JsonProperty("description") String description, @JsonProperty("required") Boolean required,
      @JsonProperty("enum_values") List<String> enumValues, @JsonProperty("min") Double min,
      @JsonProperty("max") Double max, @JsonProperty("items") SchemaField items,
      @JsonProperty("escalation") Boolean escalation) {

    /** The name that is an escalation on any agent unless its config says {@code escalation: false}. */
    public static final String ESCALATION_NEEDED = "escalation_needed";

    @JsonIgnore
    public boolean isRequired() {
      return required == null || required;
    }

    /** Whether this boolean field, when true, hands the session to a human: declared so, or named escalation_needed. */
    @JsonIgnore
    public boolean isEscalation() {
      return "boolean".equals(type) && (Boolean.TRUE.equals(escalation)
          || (escalation == null && ESCALATION_NEEDED.equals(name)));
    }
  }

  /** Which model answers, and how. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record LlmConfig(@JsonProperty("provider") String provider, @JsonProperty("model") String model,
      @JsonProperty("temperature") Double temperature, @JsonProperty("max_tokens") Integer maxTokens,
      @JsonProperty("base_url") String baseUrl) {}

  /** How the agent sounds. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record VoiceConfig(@JsonProperty("provider") String provider, @JsonProperty("voice") String voice,
      @JsonProperty("speed") Double speed) {}

  /** How the agent hears. {@code endpointing_ms}: silence that ends a user turn. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SttConfig(@JsonProperty("provider") String provider, @JsonProperty("language") String language,
      @JsonProperty("endpointing_ms") Integer endpointingMs) {}

  /**
   * A tool the agent may call: what it does (for the model), the JSON Schema of its arguments, and how the tool runner
   * reaches it. Header values may name secrets as {@code ${secret:NAME}}; the runner reads them from its environment
   * ({@code PARLEY_SECRET_NAME}), so no secret is stored in a config.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ToolConfig(@JsonProperty("name") String name, @JsonProperty("description") String description,
      @JsonProperty("parameters") com.fasterxml.jackson.databind.JsonNode parameters,
      @JsonProperty("http") HttpBinding http, @JsonProperty("waiting_line") String waitingLine,
      @JsonProperty("agents") List<String> agents) {

    /** A tool without hand-off targets ({@code agents} is only for the built-in {@code handoff}). */
    public ToolConfig(String name, String description, com.fasterxml.jackson.databind.JsonNode parameters,
        HttpBinding http, String waitingLine) {
      this(name, description, parameters, http, waitingLine, null);
    }
  }

  /**
   * How a tool is called: {@code url} may hold {@code {argument}} placeholders, filled (URL-encoded) from the call's
   * arguments; the rest of the arguments go as a JSON body for POST, PUT and PATCH. Each attempt waits at most
   * {@code timeout_ms} (default 5000); a timeout, a refused connection or a 5xx answer is retried {@code retries} times
   * (default 1).
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record HttpBinding(@JsonProperty("method") String method, @JsonProperty("url") String url,
      @JsonProperty("headers") java.util.Map<String, String> headers,
      @JsonProperty("timeout_ms") Integer timeoutMs, @JsonProperty("retries") Integer retries) {

    public static final int DEFAULT_TIMEOUT_MS = 5000;
    public static final int DEFAULT_RETRIES = 1;
    /** An {@code {argument}} placeholder in {@code url}; group 1 is the argument's name. */
    public static final java.util.regex.Pattern PLACEHOLDER = java.util.regex.Pattern.compile("\\{([^{}]*)}");
    /** A {@code ${secret:NAME}} reference in a header value; group 1 is the secret's name. */
    public static final java.util.regex.Pattern SECRET = java.util.regex.Pattern.compile("\\$\\{secret:([^}]*)}");

    @JsonIgnore
    public int timeoutOrDefault() {
      return timeoutMs == null ? DEFAULT_TIMEOUT_MS : timeoutMs;
    }

    @JsonIgnore
    public int retriesOrDefault() {
      return retries == null ? DEFAULT_RETRIES : retries;
    }
  }

  /** Whether the agent may end the call itself (it lists the built-in {@code end_call} in its tools). */
  @JsonIgnore
  public boolean endsCalls() {
    return tool(AgentConfigValidator.END_CALL).isPresent();
  }

  /**
   * The agents this one may pass its caller to (the built-in {@code handoff}'s {@code agents}, itself left out);
   * empty when it lists no hand-off.
   */
  @JsonIgnore
  public List<String> handoffTargets() {
    return tool(AgentConfigValidator.HANDOFF).map(ToolConfig::agents).orElse(List.of()).stream()
        .filter(a -> a != null && !a.equals(agentId)).distinct().toList();
  }

  /**
   * The boolean fields whose true value asks for a human: the schema's escalation fields, or, for an agent that lists
   * the built-in {@code escalate} and has none, {@value SchemaField#ESCALATION_NEEDED}.
   */
  @JsonIgnore
  public List<String> escalationFields() {
    List<String> names = schemaConfig == null || schemaConfig.fields() == null ? List.of()
        : schemaConfig.fields().stream().filter(f -> f != null && f.isEscalation()).map(SchemaField::name).toList();
    return names.isEmpty() && escalates() ? List.of(SchemaField.ESCALATION_NEEDED) : names;
  }

  /** Whether the agent lists the built-in {@code escalate}: it then has an escalation field even if its schema has none. */
  @JsonIgnore
  public boolean escalates() {
    return tool(AgentConfigValidator.ESCALATE).isPresent();
  }

  /** The tools the tool runner calls over HTTP (every tool but the built-in actions). */
  @JsonIgnore
  public List<ToolConfig> httpTools() {
    return tools == null ? List.of() : tools.stream()
        .filter(t -> t != null && !AgentConfigValidator.RESERVED_TOOL_NAMES.contains(t.name())).toList();
  }

  /** The tool called {@code name}, if this config has one. */
  public java.util.Optional<ToolConfig> tool(String name) {
    return tools == null ? java.util.Optional.empty()
        : tools.stream().filter(t -> t != null && name.equals(t.name())).findFirst();
  }

  @JsonIgnore
  public boolean isActive() {
    return !ARCHIVED.equals(status);
  }

  /** A copy with the server-managed fields set. */
  public AgentConfig withServerFields(int newVersion, String newStatus, Instant created, Instant updated) {
    return new AgentConfig(agentId, tenantId, name, description, promptConfig, schemaConfig, llmConfig, voiceConfig,
        sttConfig, tools, newVersion, newStatus, created, updated);
  }

  /** A copy with defaults filled in for the optional sections. */
  public AgentConfig withDefaults() {
    LlmConfig llm = llmConfig == null ? new LlmConfig(null, null, null, null, null) : llmConfig;
    VoiceConfig voice = voiceConfig == null ? new VoiceConfig(null, null, null) : voiceConfig;
    SttConfig stt = sttConfig == null ? new SttConfig(null, null, null) : sttConfig;
    return new AgentConfig(agentId, tenantId, name, description, promptConfig, schemaConfig,
        new LlmConfig(or(llm.provider(), "local"), or(llm.model(), "local-default"), or(llm.temperature(), 0.3),
            or(llm.maxTokens(), 400), llm.baseUrl()),
        // the offline default is slt (Flite: clear and fast); a cloud engine picks its own default for a blank one
        new VoiceConfig(or(voice.provider(), "local"), or(voice.voice(), voice.provider() == null
            || voice.provider().equals("local") ? "slt" : ""), or(voice.speed(), 1.0)),
        new SttConfig(or(stt.provider(), "local"), or(stt.language(), "en-US"), or(stt.endpointingMs(), 600)),
        tools, version, status, createdAt, updatedAt);
  }

  private static <T> T or(T value, T fallback) {
    return value == null ? fallback : value;
  }
}
