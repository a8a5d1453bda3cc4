package dev.parley.architecture;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaFieldAccess;
import dev.parley.schemas.Topic;
import dev.parley.schemas.Topics;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Which modules name which topic in their main code (a {@code Topics} constant, or an agent topic). */
final class TopicUse {
  private TopicUse() {}

  /** Libraries whose topic use counts for each service class that uses them (they read topics for it). */
  private static final Set<String> READ_FOR_THEIR_USERS = Set.of("agent-config", "service-kit");

  /**
   * Topic name to the modules whose main code names it (a {@code Topics} constant, or {@code Topics.agent}), a
   * service also when a class of agent-config or service-kit it uses names it. The contracts module itself is left out.
   */
  static Map<String, Set<String>> modulesByTopic(JavaClasses classes) {
    Map<String, Set<String>> users = new TreeMap<>();
    for (JavaClass item : classes) {
      String module = moduleOf(item);
      if (module == null || module.equals("schemas") || READ_FOR_THEIR_USERS.contains(module)) {
        continue;
      }
      Set<String> topics = new TreeSet<>(topicsNamedBy(item));
      // a library class this one creates reads its topics for it (AgentConfigCache); a library method it calls
      // reads the topics that method names (TopicWindow.openSessions reads the sessions topic)
      item.getConstructorCallsFromSelf().stream().map(call -> call.getTargetOwner())
          .filter(TopicUse::readsForItsUsers).forEach(target -> topics.addAll(topicsNamedBy(target)));
      item.getMethodCallsFromSelf().stream().filter(call -> readsForItsUsers(call.getTargetOwner()))
          .forEach(call -> call.getTarget().resolveMember().ifPresent(method -> method.getFieldAccesses().stream()
              .filter(access -> access.getTargetOwner().isEquivalentTo(Topics.class))
              .map(access -> topicName(access.getTarget().getName())).filter(java.util.Objects::nonNull)
              .forEach(topics::add)));
      topics.forEach(topic -> users.computeIfAbsent(topic, t -> new TreeSet<>()).add(module));
    }
    return users;
  }

  /** Topic name to the modules with a class that names it and also builds producer records. */
  static Map<String, Set<String>> writersByTopic(JavaClasses classes) {
    Map<String, Set<String>> writers = new TreeMap<>();
    for (JavaClass item : classes) {
      String module = moduleOf(item);
      boolean produces = item.getDirectDependenciesFromSelf().stream().anyMatch(d ->
          d.getTargetClass().getName().equals("org.apache.kafka.clients.producer.ProducerRecord")
              || d.getTargetClass().getName().equals("org.apache.kafka.streams.kstream.Produced")
              || (d.getTargetClass().isEquivalentTo(Topics.class) && d.getDescription().contains("agentConfigRecords")));
      if (module != null && produces) {
        topicsNamedBy(item).forEach(topic -> writers.computeIfAbsent(topic, t -> new TreeSet<>()).add(module));
      }
    }
    return writers;
  }

  private static Set<String> topicsNamedBy(JavaClass item) {
    Set<String> topics = new TreeSet<>();
    for (JavaFieldAccess access : item.getFieldAccessesFromSelf()) {
      if (access.getTargetOwner().isEquivalentTo(Topics.class)) {
        String topic = topicName(access.getTarget().getName());
        if (topic != null) {
          topics.add(topic);
        }
      }
    }
    if (item.getMethodCallsFromSelf().stream().anyMatch(call -> call.getTargetOwner().isEquivalentTo(Topics.class)
        && (call.getName().equals("agent") || call.getName().equals("agentTopicPattern")))) {
      topics.add(AGENT_TOPIC);
    }
    if (item.getMethodCallsFromSelf().stream().anyMatch(call -> call.getTargetOwner().isEquivalentTo(Topics.class)
        && call.getName().equals("agentConfigRecords"))) {
      topics.add(Topics.AGENT_CONFIGS.name());
      topics.add(Topics.AGENT_CONFIG_VERSIONS.name());
    }
    return topics;
  }

  private static boolean readsForItsUsers(JavaClass target) {
    String module = moduleOf(target);
    return module != null && READ_FOR_THEIR_USERS.contains(module);
  }

  static final String AGENT_TOPIC = "parley.agent.<agent-id>.v1";

  static String moduleOf(JavaClass item) {
    String pkg = item.getPackageName();
    Map<String, String> all = new java.util.HashMap<>(ParleyRules.SERVICES);
    all.putAll(ParleyRules.LIBRARIES);
    all.put("dev.parley.launcher", "launcher");
    return all.entrySet().stream().filter(e -> pkg.equals(e.getKey()) || pkg.startsWith(e.getKey() + "."))
        .map(Map.Entry::getValue).findFirst().orElse(null);
  }

  private static String topicName(String constant) {
    try {
      Object value = Topics.class.getField(constant).get(null);
      return value instanceof Topic<?, ?> topic ? topic.name() : null;
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }
}
