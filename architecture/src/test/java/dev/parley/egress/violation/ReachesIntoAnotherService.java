package dev.parley.egress.violation;

/** Breaks "services never import services": tts-egress code using llm-processor's class. */
public final class ReachesIntoAnotherService {
  public Class<?> other() {
    return dev.parley.processor.Processor.class;
  }
}
