package dev.parley.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IdsTest {
  @Test
  void turnIdsAreSessionHashPart() {
    assertThat(TurnId.line("s-1", 3)).hasToString("s-1#3");
    assertThat(TurnId.greeting("s-1")).hasToString("s-1#greeting");
    assertThat(TurnId.summary("s-1")).hasToString("s-1#summary");
    assertThat(TurnId.greeting("s-1").with(2)).isEqualTo("s-1#greeting#2");
    assertThat(TurnId.prefixOf("s-1")).isEqualTo("s-1#");
  }

  @Test
  void parsingTakesThePartAfterTheLastHash() {
    assertThat(TurnId.parse("room#a#7")).isEqualTo(new TurnId("room#a", "7"));
    assertThat(TurnId.parse(TurnId.greeting("x").toString())).isEqualTo(TurnId.greeting("x"));
    assertThat(TurnId.isGreeting("x#greeting")).isTrue();
    assertThat(TurnId.isGreeting("x#1")).isFalse();
    assertThat(TurnId.isGreeting(null)).isFalse();
  }

  @Test
  void malformedTurnIdsAreRefusedWithTheValue() {
    for (String bad : new String[] {"no-hash", "#1", "s#", ""}) {
      assertThatThrownBy(() -> TurnId.parse(bad)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not a turn id");
    }
    assertThatThrownBy(() -> TurnId.line("", 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void identitiesTellListenersVoicesAndCallersApart() {
    String listener = Identities.listener("AJ_123");
    String voice = Identities.voice("s-1");
    String standby = Identities.voice("s-1", "ab12-1");
    assertThat(listener).isEqualTo("agent-AJ_123");
    assertThat(voice).isEqualTo("agent-voice-s-1");
    assertThat(standby).isEqualTo("agent-voice-s-1-ab12-1");
    assertThat(Identities.isListener(listener)).isTrue();
    assertThat(Identities.isListener(voice)).isFalse();
    assertThat(Identities.isVoice(standby)).isTrue();
    assertThat(Identities.isCaller("alice")).isTrue();
    assertThat(Identities.isCaller(voice)).isFalse();
    assertThat(Identities.isAgent(listener) && Identities.isAgent(voice)).isTrue();
  }

  @Test
  void aHandoffPickUpHasATurnIdOfItsOwn() {
    TurnId pickUp = Handoffs.pickUp(TurnId.parse("s-1#3"));
    org.assertj.core.api.Assertions.assertThat(pickUp.toString()).isEqualTo("s-1#handoff-3");
    org.assertj.core.api.Assertions.assertThat(Handoffs.isPickUp(pickUp.toString())).isTrue();
    org.assertj.core.api.Assertions.assertThat(Handoffs.isPickUp("s-1#3")).isFalse();
    org.assertj.core.api.Assertions.assertThat(Handoffs.isPickUp("handoff-3")).isFalse();
    org.assertj.core.api.Assertions.assertThat(TurnId.isGreeting(pickUp.toString())).isFalse();
    org.assertj.core.api.Assertions.assertThat(Handoffs.decidedIn(pickUp)).isEqualTo(TurnId.parse("s-1#3"));
    assertThatThrownBy(() -> Handoffs.decidedIn(TurnId.parse("s-1#3"))).isInstanceOf(IllegalArgumentException.class);
  }
}
