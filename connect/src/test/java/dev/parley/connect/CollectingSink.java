package dev.parley.connect;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.sink.SinkConnector;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;

/** A sink connector that keeps every record the worker hands it, so a test can look at what a real sink would get. */
public final class CollectingSink extends SinkConnector {
  static final ConcurrentLinkedQueue<SinkRecord> RECEIVED = new ConcurrentLinkedQueue<>();
  private Map<String, String> props;

  @Override
  public void start(Map<String, String> props) {
    this.props = props;
  }

  @Override
  public Class<? extends Task> taskClass() {
    return Collecting.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    return List.of(props);
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return new ConfigDef();
  }

  @Override
  public String version() {
    return "test";
  }

  /** The task: adds what it is given. */
  public static final class Collecting extends SinkTask {
    @Override
    public void start(Map<String, String> props) {}

    @Override
    public void put(Collection<SinkRecord> records) {
      RECEIVED.addAll(records);
    }

    @Override
    public void stop() {}

    @Override
    public String version() {
      return "test";
    }
  }
}
