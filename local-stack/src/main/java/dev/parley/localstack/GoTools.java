package dev.parley.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Builds a Go program of ours (from the Go module proxy) into a binary, once. */
final class GoTools {
  private GoTools() {}

  /**
   * A tool binary of the local stack: {@code $envVar} when set, else {@code .parley/bin/<fileName>} in
   * the checkout, made by {@code build} the first time.
   */
  static Path binary(String envVar, String fileName, java.util.function.BiConsumer<Path, Path> build) {
    String fromEnv = System.getenv(envVar);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv);
    }
    Path root = RepositoryRoot.find();
    Path binary = root.resolve(".parley/bin").resolve(fileName);
    if (!Files.isExecutable(binary)) {
      build.accept(root, binary);
    }
    return binary;
  }

  /** {@code go install module@version} into a scratch GOBIN, then moves the binary to {@code output}. */
  static void install(String moduleAtVersion, Path output) {
    try {
      Path gobin = Files.createTempDirectory("parley-gobin");
      ProcessBuilder builder = new ProcessBuilder("go", "install", moduleAtVersion).redirectErrorStream(true)
          .redirectOutput(gobin.resolve("build.log").toFile());
      builder.environment().put("GOBIN", gobin.toAbsolutePath().toString());
      Process go = builder.start();
      if (!go.waitFor(20, TimeUnit.MINUTES) || go.exitValue() != 0) {
        go.destroyForcibly();
        throw new IllegalStateException("go install " + moduleAtVersion + " failed:\n"
            + Files.readString(gobin.resolve("build.log"), StandardCharsets.UTF_8));
      }
      String name = moduleAtVersion.substring(moduleAtVersion.lastIndexOf('/') + 1, moduleAtVersion.indexOf('@'));
      Files.createDirectories(output.getParent());
      Files.move(gobin.resolve(name), output, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run 'go install' (is Go installed?)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static void build(Path moduleDir, Path output) {
    try {
      Files.createDirectories(output.getParent());
      Path log = output.resolveSibling(output.getFileName() + ".build.log");
      Process go = new ProcessBuilder("go", "build", "-o", output.toAbsolutePath().toString(), ".")
          .directory(moduleDir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
      if (!go.waitFor(15, TimeUnit.MINUTES) || go.exitValue() != 0) {
        go.destroyForcibly();
        throw new IllegalStateException("go build in " + moduleDir + " failed:\n"
            + Files.readString(log, StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run 'go build' (is Go installed?) in " + moduleDir, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
