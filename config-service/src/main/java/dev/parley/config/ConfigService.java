package dev.parley.config;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import dev.parley.agentconfig.AgentConfigJson;
import dev.parley.livekit.CallerTokens;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import dev.parley.webapi.ApiDocs;
import dev.parley.webapi.ApiHttp;
import dev.parley.webapi.ApiKeys;
import dev.parley.webapi.MetricsRoute;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** config-service wired together: MongoDB stores, the change feed, its reconciler, and the HTTP API. */
public final class ConfigService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigService.class);
  private final MongoClient mongo;
  private final ChangeFeed feed;
  private final ScheduledExecutorService scheduler;
  private final Javalin app;

  private ConfigService(MongoClient mongo, ChangeFeed feed, ScheduledExecutorService scheduler, Javalin app) {
    this.mongo = mongo;
    this.feed = feed;
    this.scheduler = scheduler;
    this.app = app;
  }

  static ConfigService start(ConfigServiceConfig config) {
    return start(config, reconcile -> reconcile);
  }

  /**
   * Starts the service; {@code afterWrite} wraps what runs after each database write (publishing the change), so a
   * test can put a crash between the two.
   */
  static ConfigService start(ConfigServiceConfig config, java.util.function.UnaryOperator<Runnable> afterWrite) {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()))) {
      new TopicProvisioner(admin, config.replicationFactor()).ensure(List.of(Topics.AGENT_CONFIGS,
          Topics.AGENT_CONFIG_VERSIONS, Topics.ROUTING_RULES));
    }
    // A database that went away answers requests with 503 within seconds, not after the driver's 30 s default.
    com.mongodb.ConnectionString uri = new com.mongodb.ConnectionString(config.mongoUri());
    MongoClient mongo = MongoClients.create(com.mongodb.MongoClientSettings.builder().applyConnectionString(uri)
        .applyToClusterSettings(c -> {
          if (uri.getServerSelectionTimeout() == null) {
            c.serverSelectionTimeout(5, java.util.concurrent.TimeUnit.SECONDS);
          }
        }).build());
    MongoDatabase db = mongo.getDatabase(config.database());
    Clock clock = Clock.systemUTC();
    AgentStore agents = new AgentStore(db, clock);
    RulesStore rules = new RulesStore(db, clock);
    ChangeFeed feed = ChangeFeed.connect(config.bootstrapServers());
    Reconciler reconciler = new Reconciler(agents, rules, feed);
    int repaired = reconciler.run();
    if (repaired > 0) {
      log.info("published {} change(s) left unpublished by an earlier run", repaired);
    }
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "change-feed-reconciler");
      t.setDaemon(true);
      return t;
    });
    scheduler.scheduleWithFixedDelay(reconciler::run, 5, 5, TimeUnit.SECONDS);

    ApiKeys keys = new ApiKeys(config.adminApiKey(), config.readOnlyApiKey(), config.tenantKeys());
    AdminApi api = new AdminApi(agents, rules, reconciler, new Resolver(agents, rules), keys,
        afterWrite.apply(reconciler::run));
    TokenApi tokens = new TokenApi(new CallerTokens(config.livekitApiKey(), config.livekitApiSecret(),
        config.agentName(), config.tokenTtlSeconds()), new RateLimiter(config.tokenRequestsPerMinute(), clock), keys,
        config.livekitUrl());
    Javalin app = Javalin.create(javalin -> {
      javalin.jsonMapper(new JavalinJackson(AgentConfigJson.MAPPER, false));
      javalin.http.maxRequestSize = 256 * 1024L;
      javalin.showJavalinBanner = false;
      javalin.staticFiles.enableWebjars();
    });
    ApiHttp.registerErrors(app);
    app.exception(ConflictException.class, (e, ctx) -> ApiHttp.error(ctx, e.status(),
        e.status() == 412 ? "version_mismatch" : "conflict", e.getMessage(), List.of()));
    app.exception(com.mongodb.MongoException.class, (e, ctx) -> ApiHttp.error(ctx, 503, "database_unavailable",
        "the config database is not reachable; nothing was changed: " + e.getClass().getSimpleName(), List.of()));
    api.register(app);
    tokens.register(app);
    MetricsRoute.serve(app);
    app.get("/health", ctx -> {
      db.runCommand(new org.bson.Document("ping", 1));
      ctx.result("UP");
    });
    ApiDocs.serve(app, ConfigService.class, "Parley Admin API");
    app.start(config.host(), config.port());
    log.info("config-service listening on http://{}:{} (docs at /docs)", config.host(), app.port());
    return new ConfigService(mongo, feed, scheduler, app);
  }

  public int port() {
    return app.port();
  }

  @Override
  public void close() {
    app.stop();
    scheduler.shutdownNow();
    feed.close();
    mongo.close();
  }
}
