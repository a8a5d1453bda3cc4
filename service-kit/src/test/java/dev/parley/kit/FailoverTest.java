package dev.parley.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class FailoverTest {

  @Test
  void theSettingDefaultsToOneAndAHalfSecondsAndRefusesWhatNoGroupCouldUse() {
    assertThat(Failover.fromSettings(new Settings(Map.of()))).isEqualTo(1_500);
    assertThat(Failover.fromSettings(new Settings(Map.of("PARLEY_FAILOVER_MS", "4000")))).isEqualTo(4_000);
    Settings tooShort = new Settings(Map.of("PARLEY_FAILOVER_MS", "50"));
    Failover.fromSettings(tooShort);
    assertThatThrownBy(() -> tooShort.validate("a-service")).hasMessageContaining("PARLEY_FAILOVER_MS");
  }

  @Test
  void heartbeatsComeThreeTimesPerTimeoutAndTheRefusalNamesTheBrokerSetting() {
    assertThat(Failover.heartbeatMs(1_500)).isEqualTo(500);
    assertThat(Failover.heartbeatMs(200)).isEqualTo(100);
    assertThat(Failover.refused(1_500, "it waits 10 s")).contains("refused a 1500 ms group session timeout")
        .contains("it waits 10 s").contains("group.min.session.timeout.ms=1500").contains("PARLEY_FAILOVER_MS");
  }
}
