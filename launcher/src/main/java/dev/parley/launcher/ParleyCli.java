package dev.parley.launcher;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code parley} command. */
@Command(name = "parley", mixinStandardHelpOptions = true, version = "parley 0.1.0",
    description = "Realtime voice AI agents over Kafka, on one machine.",
    subcommands = {UpCommand.class, ChatCommand.class, DemoCommand.class, ReplayCommand.class, AnalyticsCommand.class,
        WhatIfCommand.class, StatusCommand.class})
public final class ParleyCli {
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line, printing expected failures (bad input, unknown session, unreachable service) as one line. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new ParleyCli());
    cli.setExecutionExceptionHandler((e, line, parsed) -> {
      if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
          || e instanceof dev.parley.insights.SessionNotFoundException
          || e instanceof dev.parley.agentconfig.InvalidConfigException) {
        line.getErr().println("parley " + line.getCommandName() + ": " + e.getMessage());
        return 2;
      }
      throw e;
    });
    return cli;
  }
}
