package dev.parley.launcher;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code parley} command. */
@Command(name = "parley", mixinStandardHelpOptions = true, version = "parley 0.1.0",
    description = "Realtime voice AI agents over Kafka, on one machine.",
    subcommands = {UpCommand.class, ChatCommand.class})
public final class ParleyCli {
  public static void main(String[] args) {
    int code = new CommandLine(new ParleyCli()).execute(args);
    System.exit(code);
  }
}
