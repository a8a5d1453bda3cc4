package dev.parley.agentconfig;

import java.util.List;
import java.util.stream.Collectors;

/** A config that breaks one or more rules; carries every error. */
public final class InvalidConfigException extends RuntimeException {
  private final List<FieldError> errors;

  public InvalidConfigException(List<FieldError> errors) {
    super(errors.stream().map(FieldError::toString).collect(Collectors.joining("; ")));
    this.errors = List.copyOf(errors);
  }

  public InvalidConfigException(FieldError error) {
    this(List.of(error));
  }

  public List<FieldError> errors() {
    return errors;
  }
}
