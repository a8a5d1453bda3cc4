package dev.parley.localstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaBrokerTest {

  @Test
  void startsARealBrokerThatKeepsItsTopicsAcrossARestart(@TempDir Path dataDir) throws Exception {
    int port;
    try (KafkaBroker broker = KafkaBroker.start(dataDir, 0)) {
      port = Integer.parseInt(broker.bootstrapServers().split(":")[1]);
      try (Admin admin = admin(broker)) {
        admin.createTopics(List.of(new NewTopic("kept.across.restart", 3, (short) 1))).all().get();
      }
    }

    try (KafkaBroker restarted = KafkaBroker.start(dataDir, port); Admin admin = admin(restarted)) {
      Set<String> names = admin.listTopics().names().get();
      assertThat(names).contains("kept.across.restart");
      assertThat(admin.describeTopics(List.of("kept.across.restart")).allTopicNames().get()
          .get("kept.across.restart").partitions()).hasSize(3);
    }
  }

  @Test
  void refusesAPortThatIsTakenWithAClearMessage(@TempDir Path dataDir) throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(() -> KafkaBroker.start(dataDir, taken.getLocalPort()))
          .hasMessageContaining("port " + taken.getLocalPort())
          .hasMessageContaining("already in use");
    }
  }

  private static Admin admin(KafkaBroker broker) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
  }
}
