package dev.parley.config;

/** 404: the agent, version or rules do not exist. */
final class NotFoundException extends RuntimeException {
  NotFoundException(String message) {
    super(message);
  }
}
