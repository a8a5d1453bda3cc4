package dev.parley.webapi;

/** 404: what the request names (an agent, a version, rules, a session) does not exist. */
public final class NotFoundException extends RuntimeException {
  public NotFoundException(String message) {
    super(message);
  }
}
