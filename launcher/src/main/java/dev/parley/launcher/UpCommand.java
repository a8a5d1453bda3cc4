package dev.parley.launcher;

import dev.parley.localstack.KafkaBroker;
import dev.parley.schemas.Topic;
import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code parley up}: starts the embedded local stack and keeps it running until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Start the embedded local stack (Kafka broker, topics, services) until Ctrl-C.")
final class UpCommand implements Callable<Integer> {
  @Option(names = "--data-dir", description = "Where the stack keeps its data (default: ${DEFAULT-VALUE}).")
  Path dataDir = Path.of(".parley", "stack");

  @Option(names = "--kafka-port", description = "Kafka listener port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
  int kafkaPort = 9092;

  @Override
  public Integer call() throws Exception {
    Progress progress = new Progress();
    progress.step("Kafka broker (KRaft) on 127.0.0.1:" + kafkaPort);
    KafkaBroker broker = KafkaBroker.start(dataDir.resolve("kafka"), kafkaPort);
    progress.done("pid " + broker.pid());

    progress.step("topics from the catalogue");
    List<Topic<?, ?>> topics = new ArrayList<>(Topics.all());
    Topics.all().forEach(t -> topics.add(Topics.deadLetters(t)));
    try (Admin admin = Admin.create(java.util.Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
        broker.bootstrapServers()))) {
      List<String> created = new TopicProvisioner(admin, (short) 1).ensure(topics);
      progress.done(created.size() + " created, " + (topics.size() - created.size()) + " already there");
    }

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("\nstopping the local stack...");
      broker.close();
      stopped.countDown();
    }, "parley-stop"));
    System.out.println();
    System.out.println("Parley local stack is up.");
    System.out.println("  Kafka bootstrap   " + broker.bootstrapServers());
    System.out.println("  Data              " + dataDir.toAbsolutePath());
    System.out.println("Press Ctrl-C to stop.");
    stopped.await();
    return 0;
  }
}
