package dev.parley.processor;

import dev.parley.agentconfig.AgentConfig;
import dev.parley.agentconfig.AgentConfigCache;
import dev.parley.llm.SessionHistory;
import dev.parley.llm.TurnResponder;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an agent's instructions and greeting into the local model's prompt cache before its first call (the local
 * model then starts too), so a new call's own warm-up finds them there instead of reading ~300 tokens while the call
 * starts. Only for agents on the local provider; best effort, on its own thread.
 */
final class Prewarm implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Prewarm.class);
  /**
   * One agent at a time: the local model shares two cores, so four agents read at once took four times as long
   * each, ran into the warm-up timeout and read again (48-78 s for four seed agents, over 3 minutes once).
   */
  private static final ReentrantLock ONE_AT_A_TIME = new ReentrantLock(true);
  private final String agentId;
  private final AgentConfigCache configs;
  private final TurnResponder responder;
  private final BooleanSupplier running;

  Prewarm(String agentId, AgentConfigCache configs, TurnResponder responder, BooleanSupplier running) {
    this.agentId = agentId;
    this.configs = configs;
    this.responder = responder;
    this.running = running;
  }

  @Override
  public void run() {
    long deadline = System.currentTimeMillis() + 120_000;
    while (running.getAsBoolean() && System.currentTimeMillis() < deadline) {
      Optional<AgentConfig> config = configs.latest(agentId);
      if (config.isPresent()) {
        warm(config.get());
        return;
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void warm(AgentConfig config) {
    String provider = config.llmConfig() == null ? null : config.llmConfig().provider();
    if (AgentConfig.ARCHIVED.equals(config.status()) || (provider != null && !provider.equals("local"))
        || config.promptConfig().greeting() == null) {
      return;
    }
    long queued = System.nanoTime();
    ONE_AT_A_TIME.lock();
    try {
      long start = System.nanoTime();
      // a live call's turn may share the cores meanwhile: a first try can run out of time
      for (int attempt = 1; attempt <= 3 && running.getAsBoolean(); attempt++) {
        try {
          responder.warmOrFail(config, List.of(new SessionHistory.Exchange("prewarm", "",
              config.promptConfig().greeting())));
          log.info("{}: local model ready, instructions and greeting cached in {} ms (after {} ms waiting for other"
              + " agents' turn)", agentId, (System.nanoTime() - start) / 1_000_000, (start - queued) / 1_000_000);
          return;
        } catch (RuntimeException e) {
          log.warn("{}: reading the instructions into the local model's cache failed (attempt {} of 3): {}",
              agentId, attempt, e.getMessage());
        }
      }
    } finally {
      ONE_AT_A_TIME.unlock();
    }
  }
}
