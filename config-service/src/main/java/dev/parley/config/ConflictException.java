package dev.parley.config;

/** A write lost a race or named a version that is no longer current (409 or 412). */
final class ConflictException extends RuntimeException {
  private final int status;

  ConflictException(int status, String message) {
    super(message);
    this.status = status;
  }

  int status() {
    return status;
  }
}
