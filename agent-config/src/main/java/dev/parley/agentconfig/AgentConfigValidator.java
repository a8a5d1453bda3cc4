package dev.parley.agentconfig;

import dev.parley.agentconfig.AgentConfig.LlmConfig;
import dev.parley.agentconfig.AgentConfig.SchemaConfig;
import dev.parley.agentconfig.AgentConfig.SchemaField;
import dev.parley.agentconfig.AgentConfig.SttConfig;
import dev.parley.agentconfig.AgentConfig.VoiceConfig;
import dev.parley.schemas.TopicNames;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Every rule an agent config must satisfy; each failure names the field and the rule. */
public final class AgentConfigValidator {
  public static final List<String> FIELD_TYPES = List.of("string", "integer", "number", "boolean", "enum", "array");
  public static final List<String> LLM_PROVIDERS = List.of("local", "openai", "openai-compatible");
  public static final List<String> TTS_PROVIDERS = List.of("local", "piper", "openai", "elevenlabs", "cartesia");
  /** The offline voices ({@code voice_config.voice} with provider {@code local}); blank means slt. */
  public static final List<String> LOCAL_VOICES = List.of("joe", "slt", "rms", "awb");
  public static final List<String> STT_PROVIDERS = List.of("local", "deepgram", "openai");
  /** The spoken reply is always {@code system_response}; a schema field may not take its name. */
  public static final String SPOKEN_FIELD = "system_response";
  static final int MAX_FIELDS = 50;
  static final int MAX_ENUM_VALUES = 100;
  static final int MAX_INSTRUCTIONS = 20_000;
  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,63}");

  private AgentConfigValidator() {}

  public static List<FieldError> validate(AgentConfig config) {
    List<FieldError> errors = new ArrayList<>();
    if (config == null) {
      errors.add(new FieldError("$", "a JSON object is required"));
      return errors;
    }
    if (blank(config.agentId())) {
      errors.add(new FieldError("agent_id", "is required"));
    } else if (!TopicNames.isValidAgentId(config.agentId())) {
      errors.add(new FieldError("agent_id", "must match " + TopicNames.AGENT_ID
          + " (lowercase letters, digits, '-', '_'; at most 63 characters)"));
    }
    if (blank(config.tenantId())) {
      errors.add(new FieldError("tenant_id", "is required"));
    } else if (!TENANT.matcher(config.tenantId()).matches()) {
      errors.add(new FieldError("tenant_id", "must be 1-64 letters, digits, '-' or '_'"));
    }
    text(errors, "name", config.name(), true, 200);
    text(errors, "description", config.description(), false, 2000);
    if (config.promptConfig() == null) {
      errors.add(new FieldError("prompt_config", "is required"));
    } else {
      text(errors, "prompt_config.instructions", config.promptConfig().instructions(), true, MAX_INSTRUCTIONS);
      text(errors, "prompt_config.greeting", config.promptConfig().greeting(), false, 1000);
    }
    schema(errors, config.schemaConfig());
    llm(errors, config.llmConfig());
    voice(errors, config.voiceConfig());
    stt(errors, config.sttConfig());
    tools(errors, config.tools(), config.agentId());
    builtInFieldClashes(errors, config);
    if (config.status() != null && !List.of(AgentConfig.ACTIVE, AgentConfig.ARCHIVED).contains(config.status())) {
      errors.add(new FieldError("status", "must be 'active' or 'archived'"));
    }
    return errors;
  }

  private static void schema(List<FieldError> errors, SchemaConfig schema) {
    if (schema == null) {
      errors.add(new FieldError("schema_config", "is required"));
      return;
    }
    if (blank(schema.schemaId()) || !IDENTIFIER.matcher(schema.schemaId()).matches()) {
      errors.add(new FieldError("schema_config.schema_id", "is required: lowercase letters, digits and '_'"));
    }
    List<SchemaField> fields = schema.fields() == null ? List.of() : schema.fields();
    if (fields.size() > MAX_FIELDS) {
      errors.add(new FieldError("schema_config.fields", "at most " + MAX_FIELDS + " fields"));
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < fields.size(); i++) {
      String at = "schema_config.fields[" + i + "]";
      SchemaField field = fields.get(i);
      if (field == null) {
        errors.add(new FieldError(at, "must be an object"));
        continue;
      }
      if (blank(field.name()) || !IDENTIFIER.matcher(field.name()).matches()) {
        errors.add(new FieldError(at + ".name", "is required: lowercase letters, digits and '_', starting with a letter"));
      } else if (field.name().equals(SPOKEN_FIELD)) {
        errors.add(new FieldError(at + ".name", "'" + SPOKEN_FIELD + "' is reserved for the spoken reply"));
      } else if (!names.add(field.name())) {
        errors.add(new FieldError(at + ".name", "'" + field.name() + "' is used twice"));
      }
      text(errors, at + ".description", field.description(), false, 1000);
      fieldType(errors, at, field, true);
    }
  }

  private static void fieldType(List<FieldError> errors, String at, SchemaField field, boolean arrayAllowed) {
    if (field.type() == null || !FIELD_TYPES.contains(field.type())) {
      errors.add(new FieldError(at + ".type", "must be one of " + FIELD_TYPES));
      return;
    }
    boolean numeric = field.type().equals("integer") || field.type().equals("number");
    if ((field.min() != null || field.max() != null) && !numeric) {
      errors.add(new FieldError(at + ".min", "min/max apply only to integer and number fields"));
    }
    if (field.min() != null && field.max() != null && field.min() > field.max()) {
      errors.add(new FieldError(at + ".max", "must be at least min (" + field.min() + ")"));
    }
    if (field.type().equals("integer") && ((field.min() != null && field.min() % 1 != 0)
        || (field.max() != null && field.max() % 1 != 0))) {
      errors.add(new FieldError(at + ".min", "an integer field needs whole-number bounds"));
    }
    if (field.type().equals("enum")) {
      List<String> values = field.enumValues();
      if (values == null || values.isEmpty()) {
        errors.add(new FieldError(at + ".enum_values", "an enum needs at least one value"));
      } else if (values.size() > MAX_ENUM_VALUES) {
        errors.add(new FieldError(at + ".enum_values", "at most " + MAX_ENUM_VALUES + " values"));
      } else if (new HashSet<>(values).size() != values.size() || values.stream().anyMatch(AgentConfigValidator::blank)) {
        errors.add(new FieldError(at + ".enum_values", "values must be unique and non-empty"));
      }
    } else if (field.enumValues() != null) {
      errors.add(new FieldError(at + ".enum_values", "only enum fields take enum_values"));
    }
    if (field.type().equals("array")) {
      if (!arrayAllowed) {
        errors.add(new FieldError(at + ".type", "arrays of arrays are not supported"));
      } else if (field.items() == null) {
        errors.add(new FieldError(at + ".items", "an array needs items: {type, ...}"));
      } else {
        fieldType(errors, at + ".items", field.items(), false);
      }
    } else if (field.items() != null) {
      errors.add(new FieldError(at + ".items", "only array fields take items"));
    }
    if (Boolean.TRUE.equals(field.escalation()) && !field.type().equals("boolean")) {
      errors.add(new FieldError(at + ".escalation", "only a boolean field can be an escalation (true hands the"
          + " session to a human)"));
    }
  }

  private static void llm(List<FieldError> errors, LlmConfig llm) {
    if (llm == null) {
      return;
    }
    oneOf(errors, "llm_config.provider", llm.provider(), LLM_PROVIDERS);
    text(errors, "llm_config.model", llm.model(), false, 200);
    range(errors, "llm_config.temperature", llm.temperature(), 0, 2);
    if (llm.maxTokens() != null && (llm.maxTokens() < 16 || llm.maxTokens() > 8192)) {
      errors.add(new FieldError("llm_config.max_tokens", "must be between 16 and 8192"));
    }
    if (llm.baseUrl() != null && !httpUrl(llm.baseUrl())) {
      errors.add(new FieldError("llm_config.base_url", "must be an http(s) URL"));
    }
  }

  private static void voice(List<FieldError> errors, VoiceConfig voice) {
    if (voice != null) {
      oneOf(errors, "voice_config.provider", voice.provider(), TTS_PROVIDERS);
      text(errors, "voice_config.voice", voice.voice(), false, 200);
      boolean offline = voice.provider() == null || voice.provider().equals("local");
      if (offline && voice.voice() != null && !voice.voice().isBlank() && !LOCAL_VOICES.contains(voice.voice())) {
        errors.add(new FieldError("voice_config.voice", "the offline voices (provider local) are " + LOCAL_VOICES
            + ": slt (the default), rms and awb are Flite's, joe the natural Piper voice" + (voice.voice().equals("kevin16")
            ? " (kevin16 was retired: speech-to-text misheard 14 % of its words)" : "")));
      }
      range(errors, "voice_config.speed", voice.speed(), 0.5, 2.0);
    }
  }

  private static void stt(List<FieldError> errors, SttConfig stt) {
    if (stt != null) {
      oneOf(errors, "stt_config.provider", stt.provider(), STT_PROVIDERS);
      text(errors, "stt_config.language", stt.language(), false, 35);
      if (stt.endpointingMs() != null && (stt.endpointingMs() < 100 || stt.endpointingMs() > 5000)) {
        errors.add(new FieldError("stt_config.endpointing_ms", "must be between 100 and 5000"));
      }
    }
  }

  /** Names the built-in actions keep for themselves. */
  public static final List<String> RESERVED_TOOL_NAMES = List.of("end_call", "handoff", "escalate");
  /**
   * The built-in action an agent enables by listing a tool of this name, without parameters or http: the model
   * judges, with the turn's fields, whether the call is over ({@link #END_CALL_FIELD}), and the room is closed once
   * the agent's goodbye has played.
   */
  public static final String END_CALL = "end_call";
  /** The structured field an agent with {@link #END_CALL} gets: true when its answer ends the call. */
  public static final String END_CALL_FIELD = "end_call";
  /**
   * The built-in action that passes the caller to another agent mid-call: listed with {@code agents} (the agent ids it
   * may pass to), it gives the agent a {@link #HANDOFF_FIELD} field, judged with the turn's other fields.
   */
  public static final String HANDOFF = "handoff";
  /** The structured field an agent with {@link #HANDOFF} gets: one of its {@code agents}, or {@link #NO_HANDOFF}. */
  public static final String HANDOFF_FIELD = "handoff_to";
  /** The value of {@link #HANDOFF_FIELD} when the caller stays. */
  public static final String NO_HANDOFF = "none";
  /**
   * The built-in action that asks for a human: the agent gets the boolean {@link AgentConfig#ESCALATION_NEEDED}
   * field (unless its schema already has an escalation field), and a true value goes out as an escalation.
   */
  public static final String ESCALATE = "escalate";
  static final int MAX_HANDOFF_AGENTS = 10;
  public static final List<String> TOOL_METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");
  public static final List<String> PARAMETER_TYPES = List.of("string", "integer", "number", "boolean", "array",
      "object");
  static final int MAX_TOOLS = 20;
  private static final Pattern SECRET_NAME = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");
  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}");

  private static void tools(List<FieldError> errors, List<AgentConfig.ToolConfig> tools, String agentId) {
    if (tools == null) {
      return;
    }
    if (tools.size() > MAX_TOOLS) {
      errors.add(new FieldError("tools", "at most " + MAX_TOOLS + " tools"));
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < tools.size(); i++) {
      String at = "tools[" + i + "]";
      AgentConfig.ToolConfig tool = tools.get(i);
      if (tool == null) {
        errors.add(new FieldError(at, "must be an object"));
        continue;
      }
      if (tool.agents() != null && !HANDOFF.equals(tool.name())) {
        errors.add(new FieldError(at + ".agents", "only the built-in 'handoff' takes agents"));
      }
      if (RESERVED_TOOL_NAMES.contains(tool.name())) { // a built-in action: nothing to call
        builtIn(errors, at, tool, agentId);
        if (!names.add(tool.name())) {
          errors.add(new FieldError(at + ".name", "'" + tool.name() + "' is used twice"));
        }
        continue;
      }
      if (blank(tool.name()) || !IDENTIFIER.matcher(tool.name()).matches()) {
        errors.add(new FieldError(at + ".name", "is required: lowercase letters, digits and '_', starting with a letter"));
      } else if (RESERVED_TOOL_NAMES.contains(tool.name())) {
        errors.add(new FieldError(at + ".name", "'" + tool.name() + "' is a built-in action's name " + RESERVED_TOOL_NAMES));
      } else if (!names.add(tool.name())) {
        errors.add(new FieldError(at + ".name", "'" + tool.name() + "' is used twice"));
      }
      text(errors, at + ".description", tool.description(), true, 1000);
      text(errors, at + ".waiting_line", tool.waitingLine(), false, 200);
      Set<String> parameters = parameters(errors, at + ".parameters", tool.parameters());
      http(errors, at + ".http", tool.http(), parameters);
    }
  }

  /** The reply field each built-in action that has one adds; a schema field may not take its name. */
  private static final java.util.Map<String, String> BUILT_IN_FIELDS = java.util.Map.of(END_CALL, END_CALL_FIELD,
      HANDOFF, HANDOFF_FIELD);

  private static void builtInFieldClashes(List<FieldError> errors, AgentConfig config) {
    if (config.schemaConfig() == null || config.schemaConfig().fields() == null) {
      return;
    }
    BUILT_IN_FIELDS.forEach((action, name) -> {
      if (config.tool(action).isEmpty()) {
        return;
      }
      for (int i = 0; i < config.schemaConfig().fields().size(); i++) {
        SchemaField field = config.schemaConfig().fields().get(i);
        if (field != null && name.equals(field.name())) {
          errors.add(new FieldError("schema_config.fields[" + i + "].name", "'" + name + "' is the field of the"
              + " built-in " + action + " action this agent lists in its tools"));
        }
      }
    });
  }

  private static final java.util.Map<String, String> BUILT_IN_PURPOSE = java.util.Map.of(END_CALL, "ends the call",
      HANDOFF, "passes the caller to another agent", ESCALATE, "asks for a human");

  /** A built-in action: no http binding and no parameters; {@code handoff} names the agents it may pass to. */
  private static void builtIn(List<FieldError> errors, String at, AgentConfig.ToolConfig tool, String agentId) {
    if (tool.http() != null || (tool.parameters() != null && !tool.parameters().isNull())) {
      errors.add(new FieldError(at, "'" + tool.name() + "' is the built-in action that " + BUILT_IN_PURPOSE.get(
          tool.name()) + ": it takes no http binding and no parameters"));
    }
    text(errors, at + ".description", tool.description(), false, 1000);
    if (!HANDOFF.equals(tool.name())) {
      if (tool.waitingLine() != null) {
        errors.add(new FieldError(at + ".waiting_line", "only 'handoff' and tools with an http binding say a line"));
      }
      return;
    }
    text(errors, at + ".waiting_line", tool.waitingLine(), false, 200);
    List<String> agents = tool.agents();
    if (agents == null || agents.isEmpty()) {
      errors.add(new FieldError(at + ".agents", "is required: the agent ids this agent may pass its caller to,"
          + " e.g. [\"sales\"]"));
      return;
    }
    if (agents.size() > MAX_HANDOFF_AGENTS) {
      errors.add(new FieldError(at + ".agents", "at most " + MAX_HANDOFF_AGENTS + " agents"));
    }
    Set<String> seen = new HashSet<>();
    for (int j = 0; j < agents.size(); j++) {
      String agent = agents.get(j);
      if (agent == null || !TopicNames.isValidAgentId(agent)) {
        errors.add(new FieldError(at + ".agents[" + j + "]", "must be an agent id matching " + TopicNames.AGENT_ID));
      } else if (agent.equals(agentId)) {
        errors.add(new FieldError(at + ".agents[" + j + "]", "'" + agent + "' is this agent: it cannot pass the caller"
            + " to itself"));
      } else if (agent.equals(NO_HANDOFF)) {
        errors.add(new FieldError(at + ".agents[" + j + "]", "'" + NO_HANDOFF + "' means no hand-off; name an agent"));
      } else if (!seen.add(agent)) {
        errors.add(new FieldError(at + ".agents[" + j + "]", "'" + agent + "' is listed twice"));
      }
    }
  }

  /** Checks a tool's arguments schema (a JSON Schema object); returns its property names. */
  private static Set<String> parameters(List<FieldError> errors, String at,
      com.fasterxml.jackson.databind.JsonNode schema) {
    Set<String> names = new HashSet<>();
    if (schema == null || schema.isNull()) {
      return names;
    }
    if (!schema.isObject() || !"object".equals(schema.path("type").asText())) {
      errors.add(new FieldError(at, "must be a JSON Schema object: {\"type\": \"object\", \"properties\": {...}}"));
      return names;
    }
    com.fasterxml.jackson.databind.JsonNode properties = schema.path("properties");
    if (!properties.isMissingNode() && !properties.isObject()) {
      errors.add(new FieldError(at + ".properties", "must be an object of named argument schemas"));
      return names;
    }
    properties.fields().forEachRemaining(e -> {
      names.add(e.getKey());
      String type = e.getValue().path("type").asText("");
      if (!IDENTIFIER.matcher(e.getKey()).matches()) {
        errors.add(new FieldError(at + ".properties." + e.getKey(), "argument names are lowercase letters, digits"
            + " and '_'"));
      } else if (!PARAMETER_TYPES.contains(type)) {
        errors.add(new FieldError(at + ".properties." + e.getKey() + ".type", "must be one of " + PARAMETER_TYPES));
      }
    });
    com.fasterxml.jackson.databind.JsonNode required = schema.path("required");
    if (!required.isMissingNode()) {
      if (!required.isArray()) {
        errors.add(new FieldError(at + ".required", "must be a list of argument names"));
      } else {
        required.forEach(r -> {
          if (!names.contains(r.asText())) {
            errors.add(new FieldError(at + ".required", "'" + r.asText() + "' is not one of the properties " + names));
          }
        });
      }
    }
    return names;
  }

  private static void http(List<FieldError> errors, String at, AgentConfig.HttpBinding http, Set<String> arguments) {
    if (http == null) {
      errors.add(new FieldError(at, "is required: {method, url}"));
      return;
    }
    if (http.method() == null || !TOOL_METHODS.contains(http.method())) {
      errors.add(new FieldError(at + ".method", "must be one of " + TOOL_METHODS));
    }
    if (blank(http.url())) {
      errors.add(new FieldError(at + ".url", "is required"));
    } else {
      java.util.regex.Matcher placeholder = AgentConfig.HttpBinding.PLACEHOLDER.matcher(http.url());
      while (placeholder.find()) {
        if (!arguments.contains(placeholder.group(1))) {
          errors.add(new FieldError(at + ".url", "{" + placeholder.group(1) + "} names no argument in parameters"
              + ".properties " + arguments));
        }
      }
      if (!httpUrl(AgentConfig.HttpBinding.PLACEHOLDER.matcher(http.url()).replaceAll("x"))) {
        errors.add(new FieldError(at + ".url", "must be an http(s) URL, with {argument} placeholders if any"));
      }
    }
    if (http.headers() != null) {
      http.headers().forEach((name, value) -> {
        if (!HEADER_NAME.matcher(name).matches()) {
          errors.add(new FieldError(at + ".headers", "'" + name + "' is not a header name"));
        } else if (value == null || value.length() > 1000) {
          errors.add(new FieldError(at + ".headers." + name, "must be a text of at most 1000 characters"));
        } else {
          java.util.regex.Matcher secret = AgentConfig.HttpBinding.SECRET.matcher(value);
          while (secret.find()) {
            if (!SECRET_NAME.matcher(secret.group(1)).matches()) {
              errors.add(new FieldError(at + ".headers." + name, "${secret:" + secret.group(1) + "}: a secret's name"
                  + " is upper-case letters, digits and '_' (the tool runner reads PARLEY_SECRET_<NAME>)"));
            }
          }
        }
      });
    }
    if (http.timeoutMs() != null && (http.timeoutMs() < 100 || http.timeoutMs() > 30_000)) {
      errors.add(new FieldError(at + ".timeout_ms", "must be between 100 and 30000"));
    }
    if (http.retries() != null && (http.retries() < 0 || http.retries() > 5)) {
      errors.add(new FieldError(at + ".retries", "must be between 0 and 5"));
    }
  }

  /** Whether {@code url} is an absolute http(s) URL with a host. */
  private static boolean httpUrl(String url) {
    try {
      URI uri = URI.create(url);
      return List.of("http", "https").contains(String.valueOf(uri.getScheme())) && uri.getHost() != null;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static void oneOf(List<FieldError> errors, String field, String value, List<String> allowed) {
    if (value != null && !allowed.contains(value)) {
      errors.add(new FieldError(field, "must be one of " + allowed));
    }
  }

  private static void range(List<FieldError> errors, String field, Double value, double min, double max) {
    if (value != null && (value.isNaN() || value < min || value > max)) {
      errors.add(new FieldError(field, "must be between " + min + " and " + max));
    }
  }

  private static void text(List<FieldError> errors, String field, String value, boolean required, int maxLength) {
    if (blank(value)) {
      if (required) {
        errors.add(new FieldError(field, "is required"));
      }
    } else if (value.length() > maxLength) {
      errors.add(new FieldError(field, "at most " + maxLength + " characters"));
    }
  }

  private static boolean blank(String value) {
    return value == null || value.isBlank();
  }
}
