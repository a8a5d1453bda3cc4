package dev.parley.launcher;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.agentconfig.AgentConfigValidator;
import dev.parley.insights.SessionLog;
import dev.parley.insights.TimeArg;
import dev.parley.insights.SessionTimeline;
import dev.parley.insights.WhatIf;
import dev.parley.llm.OfflineResponder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code parley whatif}: recorded user turns through another config version, diffed turn by turn. */
@Command(name = "whatif", mixinStandardHelpOptions = true,
    description = "Replay recorded sessions' user turns through another agent config (nothing is written to the"
        + " live topics) and diff the replies and structured fields.")
final class WhatIfCommand implements Callable<Integer> {
  private static final Pattern AGENT_AT_VERSION = Pattern.compile("([a-z0-9][a-z0-9_-]*)@(\\d+)");

  @ArgGroup(exclusive = true, multiplicity = "1")
  Sessions sessions;

  static final class Sessions {
    @Option(names = "--session", split = ",", description = "session id(s) to replay")
    List<String> ids;

    @Option(names = "--sample", description = "replay the N most recent sessions of the config's agent")
    Integer sample;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Candidate candidate;

  static final class Candidate {
    @Option(names = "--agent-config", paramLabel = "AGENT@VERSION", description = "a version kept by config-service,"
        + " e.g. support-agent-v1@3")
    String agentAtVersion;

    @Option(names = "--agent-config-file", paramLabel = "FILE", description = "a config JSON file not yet saved")
    Path file;
  }

  @Option(names = "--from", description = "with --sample: sessions since (default: ${DEFAULT-VALUE})")
  String from = "-7d";

  @Option(names = "--format", description = "text or json (default: ${DEFAULT-VALUE})")
  Format format = Format.text;

  @Mixin
  ReadOptions io;

  @Option(names = "--config-url", description = "config-service base URL (default: ${DEFAULT-VALUE})")
  String configUrl = Defaults.configUrl();

  @Override
  public Integer call() throws Exception {
    AgentConfig config = candidate.file != null ? fromFile(candidate.file) : fromService(candidate.agentAtVersion);
    WhatIf whatIf = WhatIf.with(OfflineResponder.from(Defaults.llmEnvironment()));
    List<WhatIf.Result> results = new ArrayList<>();
    try (SessionLog log = new SessionLog(io.bootstrap)) {
      List<String> ids = sessions.ids != null ? sessions.ids
          : log.recentSessions(config.agentId(), TimeArg.parse(from, Instant.now()), Instant.now(), sessions.sample);
      if (ids.isEmpty()) {
        io.stderr.println("no sessions of " + config.agentId() + " since " + from);
        return 1;
      }
      for (String id : ids) {
        SessionTimeline timeline = SessionTimeline.of(id, log.session(id));
        results.add(whatIf.replay(timeline, config, io.stderr::println));
      }
    }
    String content;
    if (results.size() == 1 && sessions.sample == null) {
      content = format == Format.json ? WhatIf.toJson(results.get(0)).toPrettyString() + "\n"
          : WhatIf.toText(results.get(0));
    } else {
      ObjectNode summary = WhatIf.summary(results);
      content = format == Format.json ? summary.toPrettyString() + "\n" : WhatIf.summaryText(summary);
    }
    io.write(content);
    return 0;
  }

  private static AgentConfig fromFile(Path file) throws Exception {
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("cannot read " + file);
    }
    AgentConfig config = AgentConfigJson.read(Files.readString(file)).withDefaults();
    var problems = AgentConfigValidator.validate(config);
    if (!problems.isEmpty()) {
      throw new dev.parley.agentconfig.InvalidConfigException(problems);
    }
    return config.version() == null ? config.withServerFields(0, AgentConfig.ACTIVE, null, null) : config;
  }

  private AgentConfig fromService(String agentAtVersion) throws Exception {
    Matcher m = AGENT_AT_VERSION.matcher(agentAtVersion);
    if (!m.matches()) {
      throw new IllegalArgumentException("--agent-config: expected AGENT@VERSION such as support-agent-v1@3, got '"
          + agentAtVersion + "'");
    }
    URI uri = URI.create(configUrl + "/api/v1/agents/config/" + m.group(1) + "/versions/" + m.group(2));
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + Defaults.apiKey()).GET().build();
    HttpResponse<String> response;
    try {
      response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new IllegalStateException("config-service is not reachable at " + configUrl + " (" + e.getMessage()
          + "); start it with ./parley up or pass --config-url");
    }
    if (response.statusCode() != 200) {
      throw new IllegalStateException("config-service answered " + response.statusCode() + " for " + uri.getPath()
          + ": " + response.body());
    }
    return AgentConfigJson.read(response.body()).withDefaults();
  }

  enum Format { text, json }
}
