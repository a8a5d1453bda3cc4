package dev.parley.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.List;
import java.util.Map;

/**
 * Parley's layering as rules: contracts ({@code schemas}) at the bottom, libraries above them, the six services
 * above those, the launcher and the bench on top. Each rule says why it exists; the build fails with that reason and
 * the offending dependency when main code breaks it.
 */
final class ParleyRules {
  /** Each service's package, and the module (artifact) its classes must come from. */
  static final Map<String, String> SERVICES = Map.of(
      "dev.parley.config", "config-service",
      "dev.parley.console", "console",
      "dev.parley.router", "router-stream",
      "dev.parley.processor", "llm-processor",
      "dev.parley.ingress", "ingress-worker",
      "dev.parley.egress", "tts-egress",
      "dev.parley.toolrunner", "tool-runner");

  /** Libraries services build on; none of them may reach up into a service or the launcher. */
  static final Map<String, String> LIBRARIES = Map.ofEntries(
      Map.entry("dev.parley.schemas", "schemas"),
      Map.entry("dev.parley.events", "schemas"),
      Map.entry("dev.parley.kit", "service-kit"),
      Map.entry("dev.parley.routing", "routing"),
      Map.entry("dev.parley.agentconfig", "agent-config"),
      Map.entry("dev.parley.speech", "speech"),
      Map.entry("dev.parley.livekit", "livekit-client"),
      Map.entry("dev.parley.llm", "llm"),
      Map.entry("dev.parley.insights", "insights"),
      Map.entry("dev.parley.webapi", "web-api"),
      Map.entry("dev.parley.connect", "connect"),
      Map.entry("dev.parley.localstack", "local-stack"));

  private ParleyRules() {}

  /** Every main class of every module (test classes and -tests.jars left out). */
  static JavaClasses mainClasses() {
    return new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .withImportOption(location -> !location.contains("-tests.jar") && !location.contains("/test-classes/"))
        .importPackages("dev.parley");
  }

  static List<ArchRule> all() {
    return List.of(servicesNeverImportServices(), librariesNeverImportServices(), liveKitOnlyInItsClient(),
        kafkaStreamsOnlyInTheRouter(), noTestFrameworksInMainCode(), packagesStayInTheirModule(),
        noCyclesBetweenModules());
  }

  static ArchRule servicesNeverImportServices() {
    return slices().matching("dev.parley.(*)..").namingSlices("$1")
        .that(com.tngtech.archunit.base.DescribedPredicate.describe("a service",
            slice -> SERVICES.containsKey("dev.parley." + slice.getNamePart(1))))
        .should().notDependOnEachOther()
        .because("a service talks to another only through Kafka topics and the contracts in schemas: importing one"
            + " couples their releases and hides a dependency the topics should show");
  }

  static ArchRule librariesNeverImportServices() {
    return noClasses().that().resideInAnyPackage(packages(LIBRARIES.keySet()))
        .should().dependOnClassesThat().resideInAnyPackage(
            packages(concat(SERVICES.keySet(), List.of("dev.parley.launcher", "dev.parley.bench"))))
        .because("libraries sit below the services and the launcher: a library that reaches up makes every service"
            + " depend on that service's code");
  }

  static ArchRule liveKitOnlyInItsClient() {
    return noClasses().that().resideOutsideOfPackage("dev.parley.livekit..")
        .should().dependOnClassesThat().resideInAnyPackage("io.livekit..", "livekit..")
        .because("LiveKit's SDK (tokens, the room and dispatch services, its protobuf types) stays behind"
            + " livekit-client, so a LiveKit upgrade or protocol change touches one module");
  }

  static ArchRule kafkaStreamsOnlyInTheRouter() {
    return noClasses().that().resideOutsideOfPackage("dev.parley.router..")
        .should().dependOnClassesThat().resideInAPackage("org.apache.kafka.streams..")
        .because("only router-stream is a Kafka Streams application; the other services use plain consumers and"
            + " embedders start the router through RouterStream");
  }

  static ArchRule noTestFrameworksInMainCode() {
    return noClasses().that().resideOutsideOfPackage("dev.parley.localstack..")
        .should().dependOnClassesThat().resideInAnyPackage("org.junit..", "org.assertj..", "org.awaitility..",
            "org.mockito..")
        .because("services run with their runtime class path only; test frameworks belong to test code (local-stack's"
            + " JUnit extensions are the one exception: test helpers, provided scope)");
  }

  static ArchRule packagesStayInTheirModule() {
    return classes().that().resideInAnyPackage(packages(concat(SERVICES.keySet(), LIBRARIES.keySet())))
        .should(comeFromTheirModule())
        .because("a class put into another module's package (to reach its package-private types) bypasses that"
            + " module's public entry points");
  }

  static ArchRule noCyclesBetweenModules() {
    return slices().matching("dev.parley.(*)..").namingSlices("$1").should().beFreeOfCycles()
        .because("modules build in one order: contracts, libraries, services, tools");
  }

  private static ArchCondition<JavaClass> comeFromTheirModule() {
    Map<String, String> modules = new java.util.HashMap<>(SERVICES);
    modules.putAll(LIBRARIES);
    return new ArchCondition<>("come from the module that owns their package") {
      @Override
      public void check(JavaClass item, ConditionEvents events) {
        String module = modules.entrySet().stream()
            .filter(e -> item.getPackageName().equals(e.getKey()) || item.getPackageName().startsWith(e.getKey() + "."))
            .map(Map.Entry::getValue).findFirst().orElse(null);
        String location = item.getSource().map(s -> s.getUri().toString()).orElse("");
        boolean ok = module == null || location.contains("/" + module + "/target/")
            || location.contains("/parley-" + module + "-");
        events.add(new SimpleConditionEvent(item, ok, item.getName() + " belongs to module " + module
            + " but was loaded from " + location));
      }
    };
  }

  private static String[] packages(java.util.Collection<String> names) {
    return names.stream().map(n -> n + "..").toArray(String[]::new);
  }

  private static List<String> concat(java.util.Collection<String> a, java.util.Collection<String> b) {
    List<String> all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
