package dev.parley.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The parent pom's rule that keeps test code off a module's runtime class path, run by Maven on a module that breaks
 * it (JUnit, or another module's -tests.jar, at compile scope) and on the same module done right.
 */
class RuntimeClassPathRuleTest {
  private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

  @Test
  void junitAtCompileScopeFailsTheBuildWithTheReason() throws Exception {
    Result result = validate("junit", """
        <dependency>
          <groupId>org.junit.jupiter</groupId>
          <artifactId>junit-jupiter-api</artifactId>
          <scope>compile</scope>
        </dependency>""");
    assertThat(result.exit).as(result.output).isNotZero();
    assertThat(result.output).contains("Test code on the runtime class path", "junit-jupiter-api");
  }

  @Test
  void anotherModulesTestJarAtRuntimeFailsTheBuild() throws Exception {
    Result result = validate("testjar", """
        <dependency>
          <groupId>dev.parley</groupId>
          <artifactId>parley-llm</artifactId>
          <version>${project.version}</version>
          <type>test-jar</type>
        </dependency>""");
    assertThat(result.exit).as(result.output).isNotZero();
    assertThat(result.output).contains("Test code on the runtime class path", "parley-llm:test-jar:tests");
  }

  @Test
  void theSameDependenciesAtTestScopePass() throws Exception {
    Result result = validate("fine", """
        <dependency>
          <groupId>org.junit.jupiter</groupId>
          <artifactId>junit-jupiter-api</artifactId>
          <scope>test</scope>
        </dependency>
        <dependency>
          <groupId>dev.parley</groupId>
          <artifactId>parley-llm</artifactId>
          <version>${project.version}</version>
          <type>test-jar</type>
          <scope>test</scope>
        </dependency>""");
    assertThat(result.exit).as(result.output).isZero();
  }

  private record Result(int exit, String output) {}

  /** Runs {@code mvn validate} (offline: everything it needs is in the local repository) on a one-pom module. */
  private static Result validate(String name, String dependencies) throws IOException, InterruptedException {
    Path dir = ROOT.resolve("architecture/target/rule-check/" + name);
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("pom.xml"), """
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <parent>
            <groupId>dev.parley</groupId>
            <artifactId>parley-parent</artifactId>
            <version>0.1.0-SNAPSHOT</version>
            <relativePath>../../../../pom.xml</relativePath>
          </parent>
          <artifactId>rule-check-%s</artifactId>
          <dependencies>
        %s
          </dependencies>
        </project>
        """.formatted(name, dependencies));
    Path log = dir.resolve("mvn.log");
    Process mvn = new ProcessBuilder("mvn", "-o", "-B", "validate").directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    assertThat(mvn.waitFor(3, TimeUnit.MINUTES)).as("mvn validate finished").isTrue();
    return new Result(mvn.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }
}
