package dev.parley.router;

import dev.parley.events.RoutedEvent;
import dev.parley.events.RoutingDecision;

/** What the session router emits: a decision (to the decisions topic) or a routed event (to an agent topic). */
sealed interface RouterOutput {

  record Decision(RoutingDecision decision) implements RouterOutput {}

  record Routed(RoutedEvent event) implements RouterOutput {}
}
