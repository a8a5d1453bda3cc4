package dev.parley.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** parley up restarts a service that dies, and gives up (saying so) on one that keeps dying. */
class ServiceProcessIT {

  /** A "service" that crashes as soon as it starts. */
  public static final class CrashingService {
    public static void main(String[] args) {
      System.out.println("crashing on purpose");
      System.exit(3);
    }
  }

  /** A "service" that runs until stopped. */
  public static final class SteadyService {
    public static void main(String[] args) throws InterruptedException {
      System.out.println("steady");
      Thread.sleep(60_000);
    }
  }

  @Test
  void aDeadServiceIsRestartedThenGivenUpOn() throws Exception {
    Path logs = Files.createTempDirectory("parley-supervisor");
    try (ServiceProcess crashing = ServiceProcess.start("crashing", CrashingService.class.getName(), Map.of(), logs);
        ServiceProcess steady = ServiceProcess.start("steady", SteadyService.class.getName(), Map.of(), logs)) {
      int restarts = 0;
      String gaveUp = null;
      long deadline = System.currentTimeMillis() + 60_000;
      while (gaveUp == null && System.currentTimeMillis() < deadline) {
        Thread.sleep(300);
        String happened = crashing.restartIfDead();
        if (happened != null && happened.contains("restarted it")) {
          restarts++;
          assertTrue(happened.contains("crashing on purpose"), "the dead process's log is shown: " + happened);
        } else if (happened != null) {
          gaveUp = happened;
        }
        assertNull(steady.restartIfDead(), "a running service is left alone");
      }
      assertEquals(ServiceProcess.MAX_RESTARTS_PER_MINUTE, restarts);
      assertTrue(gaveUp.contains("keeps exiting"), gaveUp);
      assertNull(crashing.restartIfDead(), "it says so once");
      assertTrue(steady.isAlive());
    }
  }
}
