package dev.parley.insights;

/** No event of the asked-for session is on the topics (wrong id, or older than the topics' retention). */
public final class SessionNotFoundException extends RuntimeException {
  public SessionNotFoundException(String message) {
    super(message);
  }
}
