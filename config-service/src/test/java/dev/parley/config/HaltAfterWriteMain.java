package dev.parley.config;

import dev.parley.kit.Settings;

/**
 * config-service as its main runs it, except that the process dies (exit 137, no shutdown hooks) right after its
 * first database write, before the change is published: the crash ChangeFeedIT repairs.
 */
public final class HaltAfterWriteMain {
  private HaltAfterWriteMain() {}

  public static void main(String[] args) throws InterruptedException {
    ConfigService.start(ConfigServiceConfig.from(Settings.fromEnvironment()),
        publish -> () -> Runtime.getRuntime().halt(137));
    Thread.currentThread().join();
  }
}
