package dev.parley.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a job's and a caller's metadata say: the session a re-dispatched job continues, and the caller's user id. */
class CallMetadataTest {
  @Test
  void aReDispatchedJobContinuesOnlyASessionIdOfOurs() {
    assertThat(Orphans.resumedSession("{\"" + Orphans.RESUME_KEY + "\":\"s-AJ_abc123\"}")).isEqualTo("s-AJ_abc123");
    assertThat(Orphans.resumedSession("{\"purpose\":\"support\"}")).as("a new call").isNull();
    assertThat(Orphans.resumedSession("")).isNull();
    assertThat(Orphans.resumedSession(null)).isNull();
    assertThat(Orphans.resumedSession("not json")).isNull();
    assertThat(Orphans.resumedSession("{\"" + Orphans.RESUME_KEY + "\":\"../../etc\"}")).as("not our id format")
        .isNull();
    assertThat(Orphans.resumedSession("{\"" + Orphans.RESUME_KEY + "\":\"s-" + "x".repeat(65) + "\"}")).isNull();
  }

  @Test
  void theCallersUserIdComesFromItsMetadataWhenItIsText() {
    assertThat(CallEvents.userIdOf("{\"user_id\":\"u-42\",\"purpose\":\"sales\"}")).isEqualTo("u-42");
    assertThat(CallEvents.userIdOf("{\"user_id\":42}")).isNull();
    assertThat(CallEvents.userIdOf("{}")).isNull();
    assertThat(CallEvents.userIdOf(null)).isNull();
    assertThat(CallEvents.userIdOf("{broken")).isNull();
  }
}
