package dev.parley.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.Test;

/**
 * Each rule fed a class that breaks it (the classes under {@code *.violation} and {@code cyclea/cycleb} in this
 * module's test sources): it must fail, name the offender and say why. The main-code check leaves test classes out,
 * so these never fail the real build.
 */
class RulesCatchViolationsTest {
  private static final JavaClasses VIOLATIONS = new ClassFileImporter().importPackages("dev.parley.egress.violation",
      "dev.parley.ingress.violation", "dev.parley.processor.violation", "dev.parley.llm.violation",
      "dev.parley.cyclea", "dev.parley.cycleb");

  private static String failureOf(ArchRule rule) {
    EvaluationResult result = rule.evaluate(VIOLATIONS);
    assertThat(result.hasViolation()).as("%s must fail on the violating classes", rule.getDescription()).isTrue();
    return result.getFailureReport().toString();
  }

  @Test
  void aServiceImportingAnotherFails() {
    assertThat(failureOf(ParleyRules.servicesNeverImportServices()))
        .contains("ReachesIntoAnotherService", "dev.parley.processor.Processor", "only through Kafka topics");
  }

  @Test
  void aLibraryImportingAServiceFails() {
    assertThat(failureOf(ParleyRules.librariesNeverImportServices()))
        .contains("LibraryReachesUp", "EgressMain", "libraries sit below the services");
  }

  @Test
  void liveKitOutsideItsClientFails() {
    assertThat(failureOf(ParleyRules.liveKitOnlyInItsClient()))
        .contains("ReadsLiveKitProtobuf", "ParticipantInfo", "stays behind livekit-client");
  }

  @Test
  void kafkaStreamsOutsideTheRouterFails() {
    assertThat(failureOf(ParleyRules.kafkaStreamsOnlyInTheRouter()))
        .contains("RunsAStream", "org.apache.kafka.streams.KafkaStreams", "only router-stream");
  }

  @Test
  void aTestFrameworkInMainCodeFails() {
    assertThat(failureOf(ParleyRules.noTestFrameworksInMainCode()))
        .contains("AssertsAtRunTime", "org.junit.jupiter.api.Assertions", "test frameworks belong to test code");
  }

  @Test
  void aClassInAnotherModulesPackageFails() {
    assertThat(failureOf(ParleyRules.packagesStayInTheirModule()))
        .contains("dev.parley.processor.violation.RunsAStream belongs to module llm-processor but was loaded from")
        .contains("architecture/target/test-classes");
  }

  @Test
  void aCycleBetweenModulesFails() {
    assertThat(failureOf(ParleyRules.noCyclesBetweenModules())).contains("cyclea", "cycleb", "build in one order");
  }

  @Test
  void theMainCodeCheckSeesEveryModuleAndNoTestClass() {
    JavaClasses main = ParleyRules.mainClasses();
    for (String name : new String[] {"dev.parley.processor.AgentWorker", "dev.parley.egress.EgressService",
        "dev.parley.ingress.CallSession", "dev.parley.router.RouterTopology", "dev.parley.config.AdminApi",
        "dev.parley.livekit.RoomParticipant", "dev.parley.schemas.TurnId", "dev.parley.launcher.ParleyCli"}) {
      assertThat(main.contain(name)).as(name).isTrue();
    }
    assertThat(main.contain(RulesCatchViolationsTest.class)).isFalse();
    assertThat(main.contain("dev.parley.processor.violation.RunsAStream")).isFalse();
    assertThat(main.contain("dev.parley.llm.StandInLlmServer")).as("from parley-llm's -tests.jar").isFalse();
  }
}
