package dev.parley.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace of our own for tests whose peers cannot be kept on 127.0.0.1 (libwebrtc in
 * other SDKs skips loopback adapters): {@code lo} plus a veth pair with two test-host addresses
 * (10.77.0.1 and 10.77.0.2) and a default route onto the pair, all inside the namespace, so no traffic
 * leaves it. Needs root and
 * iproute2 ({@code ip}).
 */
public final class NetworkNamespace implements AutoCloseable {
  private final String name;

  private NetworkNamespace(String name) {
    this.name = name;
  }

  /** True when this process can create namespaces (root with {@code ip}). */
  public static boolean available() {
    try {
      return "root".equals(System.getProperty("user.name")) && run(List.of("ip", "netns", "list")) == 0;
    } catch (RuntimeException e) {
      return false;
    }
  }

  public static NetworkNamespace create(String name) {
    NetworkNamespace ns = new NetworkNamespace(name);
    run(List.of("ip", "netns", "del", name)); // a leftover from a killed run
    require(List.of("ip", "netns", "add", name));
    ns.inside("ip", "link", "set", "lo", "up");
    ns.inside("ip", "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b");
    ns.inside("ip", "addr", "add", "10.77.0.1/24", "dev", "veth-a");
    ns.inside("ip", "addr", "add", "10.77.0.2/24", "dev", "veth-b");
    ns.inside("ip", "link", "set", "veth-a", "up");
    ns.inside("ip", "link", "set", "veth-b", "up");
    // A default route, as every real host has: libwebrtc finds its local address by routing towards a public
    // address (no packet is sent); without one, a client that does not enumerate adapters (ours, kept on
    // loopback) gathers no usable candidate and ICE fails. Anything sent this way ends at veth-b, inside.
    ns.inside("ip", "route", "add", "default", "dev", "veth-a");
    return ns;
  }

  public String name() {
    return name;
  }

  /** {@code command} prefixed so that it runs inside the namespace. */
  public List<String> command(List<String> command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", name));
    full.addAll(command);
    return full;
  }

  private void inside(String... command) {
    require(command(List.of(command)));
  }

  private static void require(List<String> command) {
    if (run(command) != 0) {
      throw new IllegalStateException("failed: " + String.join(" ", command));
    }
  }

  private static int run(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return -1;
      }
      return process.exitValue();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Kills whatever still runs inside, then deletes the namespace. */
  @Override
  public void close() {
    try {
      Process pids = new ProcessBuilder("ip", "netns", "pids", name).start();
      String out = new String(pids.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      pids.waitFor(10, TimeUnit.SECONDS);
      for (String pid : out.split("\\s+")) {
        if (!pid.isBlank()) {
          ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
    } catch (IOException | InterruptedException | NumberFormatException e) {
      // best effort
    }
    run(List.of("ip", "netns", "del", name));
  }
}
