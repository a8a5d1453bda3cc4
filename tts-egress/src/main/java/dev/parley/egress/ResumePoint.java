package dev.parley.egress;

/**
 * Where a session's voice had got to when another instance held it ({@link dev.parley.events.VoicePosition}):
 * replies before {@code replyOffset} were spoken; the sentence at it was played {@code audioMs} far (to its end if
 * {@code sentenceDone}).
 */
record ResumePoint(long replyOffset, long audioMs, boolean sentenceDone, String interruptedTurnId, long at) {
  static ResumePoint of(dev.parley.events.VoicePosition position) {
    return new ResumePoint(position.getReplyOffset(), position.getAudioMs(), position.getSentenceDone(),
        position.getInterruptedTurnId(), position.getAt().toEpochMilli());
  }
}
