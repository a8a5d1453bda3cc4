package dev.parley.speech;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Word error rate: (substitutions + deletions + insertions) / words of the reference, after both sides
 * are normalized the same way (lower case, punctuation dropped, numbers spelled out, hyphens and a few
 * spelling variants unified, contractions expanded as Whisper's English normalizer does), so "49" and "forty
 * nine", "I'm" and "I am" count as the same words.
 */
public final class WordErrorRate {
  private WordErrorRate() {}

  /** The word-level edit distance between the normalized texts, and the reference's word count. */
  public record Errors(int edits, int words) {
    public double rate() {
      return words == 0 ? (edits == 0 ? 0 : 1) : (double) edits / words;
    }
  }

  public static Errors of(String reference, String hypothesis) {
    List<String> ref = words(reference);
    List<String> hyp = words(hypothesis);
    int[] previous = new int[hyp.size() + 1];
    int[] current = new int[hyp.size() + 1];
    for (int j = 0; j <= hyp.size(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= ref.size(); i++) {
      current[0] = i;
      for (int j = 1; j <= hyp.size(); j++) {
        int substitute = previous[j - 1] + (ref.get(i - 1).equals(hyp.get(j - 1)) ? 0 : 1);
        current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return new Errors(previous[hyp.size()], ref.size());
  }

  private static final java.util.regex.Pattern CONTRACTIONS =
      java.util.regex.Pattern.compile("\\b([a-z]+)(n't|'re|'ll|'ve|'m)\\b");

  /** The normalized words of a text. */
  public static List<String> words(String text) {
    String lower = text.toLowerCase(Locale.ROOT).replace('’', '\'').replace("%", " percent ").replace("&", " and ")
        .replace("-", " ").replace("okay", "ok");
    lower = CONTRACTIONS.matcher(lower.replace("won't", "will not").replace("can't", "can not")
        .replace("cannot", "can not")).replaceAll(m -> switch (m.group(2)) {
          case "n't" -> m.group(1) + " not";
          case "'re" -> m.group(1) + " are";
          case "'ll" -> m.group(1) + " will";
          case "'ve" -> m.group(1) + " have";
          case "'m" -> m.group(1) + " am";
          default -> m.group();
        });
    List<String> words = new ArrayList<>();
    for (String raw : lower.split("\\s+")) {
      String word = raw.replaceAll("[^a-z0-9']", "").replaceAll("^'+|'+$", "");
      if (word.isEmpty()) {
        continue;
      }
      if (word.matches("\\d{1,9}")) {
        for (String part : spell(Long.parseLong(word)).split(" ")) {
          words.add(part);
        }
      } else if (word.matches("\\d+(st|nd|rd|th)")) {
        words.add(word); // ordinals are rare in the cases; kept as written
      } else {
        words.add(word);
      }
    }
    return words;
  }

  private static final String[] SMALL = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
      "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
      "nineteen"};
  private static final String[] TENS = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
      "ninety"};

  static String spell(long n) {
    if (n < 20) {
      return SMALL[(int) n];
    }
    if (n < 100) {
      return TENS[(int) (n / 10)] + (n % 10 == 0 ? "" : " " + SMALL[(int) (n % 10)]);
    }
    if (n < 1000) {
      return SMALL[(int) (n / 100)] + " hundred" + (n % 100 == 0 ? "" : " " + spell(n % 100));
    }
    if (n < 1_000_000) {
      return spell(n / 1000) + " thousand" + (n % 1000 == 0 ? "" : " " + spell(n % 1000));
    }
    return spell(n / 1_000_000) + " million" + (n % 1_000_000 == 0 ? "" : " " + spell(n % 1_000_000));
  }
}
