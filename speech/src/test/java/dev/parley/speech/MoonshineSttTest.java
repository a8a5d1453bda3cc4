package dev.parley.speech;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Moonshine for real (the model files ./parley setup fetches), on callers' lines spoken by the Piper voice. */
class MoonshineSttTest {
  private static final Path ENCODER = ModelFiles.find("NO_SUCH_VARIABLE", "moonshine-base-en/encoder_model.ort");
  private static final Path PIPER = ModelFiles.find("PARLEY_PIPER_MODEL", "en_US-joe-medium.onnx");

  @Test
  void plainSentencesFromANaturalVoiceComeThroughAlmostWordForWord() throws Exception {
    assumeTrue(ENCODER != null && PIPER != null, "run ./parley setup for the Moonshine and Piper files (CI has them)");
    List<String> lines = List.of("My account login isn't working.", "I was charged twice for my subscription this month.",
        "We're a team of twenty and our projects are all over email.", "I'm ready to create my first project.");
    int edits = 0;
    int words = 0;
    try (MoonshineStt stt = new MoonshineStt(ENCODER.getParent()); PiperTts voice = PiperTts.open(PIPER).steady()) {
      for (String line : lines) {
        SpeechToText.Transcript heard = stt.transcribe(Pcm.down3(Pcm.samples(voice.synthesize(line, 1.0))));
        WordErrorRate.Errors errors = WordErrorRate.of(line, heard.text());
        System.out.printf("moonshine: \"%s\" -> \"%s\" (%d ms, %d word errors)%n", line, heard.text(), heard.millis(),
            errors.edits());
        edits += errors.edits();
        words += errors.words();
      }
    }
    // "we're" heard as "where" costs two words once contractions are expanded (we are → where)
    assertThat((double) edits / words).as("word error rate").isLessThanOrEqualTo(0.12);
  }

  @Test
  void listeningWhileTheCallerSpeaksAndGuessingGiveExactlyTheWholeTranscript() throws Exception {
    assumeTrue(ENCODER != null && PIPER != null, "run ./parley setup for the Moonshine and Piper files (CI has them)");
    try (MoonshineStt stt = new MoonshineStt(ENCODER.getParent()); PiperTts voice = PiperTts.open(PIPER).steady()) {
      short[] pcm = Pcm.down3(Pcm.samples(voice.synthesize(
          "We're a team of twenty and our projects are all over email, so what would you recommend?", 1.0)));
      SpeechToText.Transcript whole = stt.transcribe(pcm);
      SpeechToText.Stream stream = stt.stream();
      for (int at = 0; at < pcm.length; at += 1600) { // 100 ms pieces, as fast as they come
        stream.write(java.util.Arrays.copyOfRange(pcm, at, Math.min(pcm.length, at + 1600)));
        Thread.sleep(20);
      }
      SpeechToText.Transcript draft = stream.draft().orElseThrow();
      assertThat(draft.text()).as("the words so far, read ahead while the end of the turn is judged")
          .isEqualTo(whole.text());
      SpeechToText.Transcript streamed = stream.finish();
      System.out.printf("moonshine: whole %d ms, after listening %d ms: \"%s\"%n", whole.millis(), streamed.millis(),
          streamed.text());
      assertThat(streamed.text()).isEqualTo(whole.text());
      List<Integer> greedy = stt.tokens(pcm, List.of());
      List<Integer> wrong = new java.util.ArrayList<>(greedy.subList(0, greedy.size() / 2));
      wrong.set(1, 5_000); // a guess that goes wrong early, then right again
      wrong.addAll(List.of(900, 901, 902));
      assertThat(stt.tokens(pcm, wrong)).as("a wrong guess changes nothing").isEqualTo(greedy);
      assertThat(stt.tokens(pcm, greedy)).as("a right guess changes nothing").isEqualTo(greedy);
    }
  }

  @Test
  void silenceAndTooShortAudioGiveNoWords() {
    assumeTrue(ENCODER != null, "run ./parley setup for the Moonshine files (CI has them)");
    try (MoonshineStt stt = new MoonshineStt(ENCODER.getParent())) {
      assertThat(stt.transcribe(new short[800]).text()).isEmpty();
    }
  }

  @Test
  void missingModelFilesAreOneClearErrorNamingTheFix() throws Exception {
    Path empty = Files.createTempDirectory("no-moonshine");
    assertThatThrownBy(() -> new MoonshineStt(empty)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("encoder_model.ort").hasMessageContaining("./parley setup");
  }

  @Test
  void wordErrorRateCountsEditsOnNormalizedWords() {
    assertThat(WordErrorRate.of("Both charges are 49 dollars.", "both charges are forty-nine dollars").edits()).isZero();
    assertThat(WordErrorRate.of("My account login isn't working.", "My account likeness and working.").edits())
        .as("login → likeness, is → and, not dropped").isEqualTo(3);
    assertThat(WordErrorRate.of("I want to speak to a manager.", "I want to speak to manager.").edits()).isEqualTo(1);
    assertThat(WordErrorRate.of("hello there", "hello there you").rate()).isEqualTo(0.5);
    assertThat(WordErrorRate.spell(1_250)).isEqualTo("one thousand two hundred fifty");
  }
}
