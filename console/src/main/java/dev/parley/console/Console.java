package dev.parley.console;

import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.llm.OfflineResponder;
import dev.parley.webapi.ApiHttp;
import dev.parley.webapi.ApiKeys;
import io.javalin.Javalin;
import io.javalin.http.staticfiles.Location;
import io.javalin.json.JavalinJackson;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
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
    String spec = resource("openapi.yaml");
    String docs = resource("docs.html");
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
    app.get("/health", ctx -> {
      if (!configs.awaitCaughtUp(Duration.ZERO)) {
        throw new ApiHttp.ApiError(503, "starting", "still reading the agent config versions from Kafka");
      }
      ctx.result("UP");
    });
    app.get("/openapi.yaml", ctx -> ctx.contentType("application/yaml").result(spec));
    app.get("/docs", ctx -> ctx.contentType("text/html").result(docs));
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

  private static String resource(String name) {
    try (InputStream in = Console.class.getResourceAsStream("/public/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    app.stop();
    configs.close();
  }
}
