package dev.parley.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rules of {@link ParleyRules} over every module's main classes: the build fails when one is broken. */
class LayeringTest {
  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = ParleyRules.mainClasses();
  }

  private static void check(ArchRule rule) {
    rule.check(main);
  }

  @Test
  void servicesNeverImportServices() {
    check(ParleyRules.servicesNeverImportServices());
  }

  @Test
  void librariesNeverImportServices() {
    check(ParleyRules.librariesNeverImportServices());
  }

  @Test
  void liveKitsSdkStaysInLivekitClient() {
    check(ParleyRules.liveKitOnlyInItsClient());
  }

  @Test
  void kafkaStreamsStaysInRouterStream() {
    check(ParleyRules.kafkaStreamsOnlyInTheRouter());
  }

  @Test
  void mainCodeUsesNoTestFramework() {
    check(ParleyRules.noTestFrameworksInMainCode());
  }

  @Test
  void everyPackageStaysInItsModule() {
    check(ParleyRules.packagesStayInTheirModule());
  }

  @Test
  void modulesHaveNoCycles() {
    check(ParleyRules.noCyclesBetweenModules());
  }
}
