package dev.parley.console;

import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.llm.OfflineResponder;
import dev.parley.webapi.ApiDocs;
import dev.parley.webapi.ApiHttp;
import dev.parley.webapi.ApiKeys;
import dev.parley.webapi.MetricsRoute;
import io.javalin.Javalin;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console wired together: the agent-picker page callers talk to agents from, and sessions read back from the
 * topics (replay, analytics, what-if). It reads Kafka only: agent config versions from the versions topic, sessions
 * from the event topics; callers' tokens come from config-service, which the page asks directly.
 */
public final class Console implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Console.class);
  private final AgentConfigCache configs;
  private final Javalin app;

  private Console(AgentConfigCache configs, Javalin app) {
    this.configs = configs;
    this.app = app;
  }

  static Console start(ConsoleConfig config) {
    AgentConfigCache configs = new AgentConfigCache(config.bootstrapServers(), "console");
    ApiKeys keys = new ApiKeys(config.adminApiKey(), config.readOnlyApiKey());
    OfflineResponderHolder llm = new OfflineResponderHolder();
    Javalin app = Javalin.create(javalin -> {
      javalin.jsonMapper(new JavalinJackson(AgentConfigJson.MAPPER, false));
      javalin.http.maxRequestSize = 64 * 1024L;
      javalin.showJavalinBanner = false;
      javalin.staticFiles.enableWebjars();
      if (!config.webDir().isEmpty()) {
        javalin.staticFiles.add(config.webDir(), Location.EXTERNAL);
      }
    });
    ApiHttp.registerErrors(app);
    new InsightsApi(config.bootstrapServers(), configs, keys, llm::get).register(app);
    app.get("/console.json", ctx -> ctx.json(Map.of("token_url", config.tokenUrl())));
    MetricsRoute.serve(app);
    app.get("/health", ctx -> {
      if (!configs.awaitCaughtUp(Duration.ZERO)) {
        throw new ApiHttp.ApiError(503, "starting", "still reading the agent config versions from Kafka");
      }
      ctx.result("UP");
    });
    ApiDocs.serve(app, Console.class, "Parley console API");
    app.start(config.host(), config.port());
    log.info("console listening on http://{}:{} (page at /, API docs at /docs; tokens from {})", config.host(),
        app.port(), config.tokenUrl());
    return new Console(configs, app);
  }

  /** The what-if LLM providers, set up on first use from the environment (OPENAI_*, PARLEY_LOCAL_*). */
  private static final class OfflineResponderHolder {
    private OfflineResponder responder;

    synchronized OfflineResponder get() {
      if (responder == null) {
        responder = OfflineResponder.from(System.getenv());
      }
      return responder;
    }
  }

  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
    configs.close();
  }
}
