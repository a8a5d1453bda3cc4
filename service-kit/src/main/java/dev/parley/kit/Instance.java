package dev.parley.kit;

/** How a running service instance names itself in what it writes (reply headers, voice positions). */
public final class Instance {
  private Instance() {}

  /**
   * {@code <service>@<host>:<pid>}: the host tells containers apart (each one's process is pid 1 there), the pid
   * processes on one machine.
   */
  public static String name(String service) {
    return service + "@" + host() + ":" + ProcessHandle.current().pid();
  }

  private static String host() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "unknown-host";
    }
  }
}
