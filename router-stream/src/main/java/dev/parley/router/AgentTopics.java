package dev.parley.router;

import dev.parley.schemas.TopicProvisioner;
import dev.parley.schemas.Topics;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates (or verifies) the topic of each agent the router sees, once per agent per process. */
public interface AgentTopics {

  void ensure(String agentId);

  /** Backed by the Kafka admin API with the catalogue's settings. */
  static AgentTopics using(Admin admin, short replicationFactor) {
    Logger log = LoggerFactory.getLogger(AgentTopics.class);
    TopicProvisioner provisioner = new TopicProvisioner(admin, replicationFactor);
    Set<String> ready = ConcurrentHashMap.newKeySet();
    return agentId -> {
      if (!ready.contains(agentId)) {
        List<String> created = provisioner.ensure(List.of(Topics.agent(agentId)));
        created.forEach(name -> log.info("created agent topic {}", name));
        ready.add(agentId);
      }
    };
  }
}
