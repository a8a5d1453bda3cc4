package dev.parley.insights;

/** The stages of one turn, from the caller's last word to the agent's first audio frame. */
public enum Stage {
  ENDPOINTING_STT("endpointing_stt", "end of speech -> transcript (endpointing + STT)"),
  ROUTING("routing", "transcript -> agent topic (router hop)"),
  LLM_FIRST_TOKEN("llm_first_token", "LLM first token"),
  LLM_FIRST_SENTENCE("llm_first_sentence", "agent topic -> first sentence on Kafka"),
  LLM_TOTAL("llm_total", "whole LLM turn"),
  TTS_FIRST_AUDIO("tts_first_audio", "first sentence -> first audio in the room (TTS)"),
  VOICE_TO_VOICE("voice_to_voice", "end of speech -> first agent audio");

  public final String key;
  public final String label;

  Stage(String key, String label) {
    this.key = key;
    this.label = label;
  }
}
