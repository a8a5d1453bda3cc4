package dev.parley.launcher;

import dev.parley.insights.SessionLog;
import dev.parley.insights.SessionTimeline;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code parley replay session <id>}: one session rebuilt from the topics. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Read sessions back from the topics.", subcommands = ReplayCommand.Session.class)
final class ReplayCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("usage: parley replay session <session-id> [--format text|json|html] [--out FILE]");
    return 2;
  }

  /** The timeline of one session. */
  @Command(name = "session", mixinStandardHelpOptions = true,
      description = "Rebuild one session: metadata, routing, every turn with its fields, playback and"
          + " interruptions, per-stage latencies, and every event in time order.")
  static final class Session implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SESSION_ID", description = "the session id (ingress logs it; `parley"
        + " chat` prints it)")
    String sessionId;

    @Option(names = "--format", description = "text, json or html (default: ${DEFAULT-VALUE})")
    Format format = Format.text;

    @Mixin
    ReadOptions io;

    @Override
    public Integer call() throws Exception {
      SessionTimeline timeline;
      try (SessionLog log = new SessionLog(io.bootstrap)) {
        timeline = SessionTimeline.of(sessionId, log.session(sessionId));
      }
      String content = switch (format) {
        case text -> timeline.toText();
        case json -> timeline.toJson().toPrettyString() + "\n";
        case html -> timeline.toHtml();
      };
      io.write(content);
      return 0;
    }
  }

  enum Format { text, json, html }
}
