package dev.parley.router;

import java.util.function.BiConsumer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Keeps a global store equal to its compacted topic, and tells a listener about each new value. */
final class StoreUpdater<V> implements Processor<String, V, Void, Void> {
  private final String storeName;
  private final BiConsumer<String, V> onUpdate;
  private KeyValueStore<String, V> store;

  StoreUpdater(String storeName, BiConsumer<String, V> onUpdate) {
    this.storeName = storeName;
    this.onUpdate = onUpdate;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, V> record) {
    if (record.key() == null) {
      return;
    }
    if (record.value() == null) {
      store.delete(record.key());
      return;
    }
    store.put(record.key(), record.value());
    onUpdate.accept(record.key(), record.value());
  }
}
