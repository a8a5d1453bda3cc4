package dev.parley.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Numbers as speech-to-text writes what a caller says: "four thousand, four hundred seventeen", "forty four
 * seventeen", "four four one seven", "nine oh two". {@link #withDigits} writes each run of number words as digits, so
 * the model reads 4417 and a value it writes as 4417 can be found in what the caller said.
 */
final class SpokenNumbers {
  private static final Map<String, Integer> UNITS = Map.ofEntries(Map.entry("zero", 0), Map.entry("oh", 0),
      Map.entry("one", 1), Map.entry("two", 2), Map.entry("three", 3), Map.entry("four", 4), Map.entry("five", 5),
      Map.entry("six", 6), Map.entry("seven", 7), Map.entry("eight", 8), Map.entry("nine", 9), Map.entry("ten", 10),
      Map.entry("eleven", 11), Map.entry("twelve", 12), Map.entry("thirteen", 13), Map.entry("fourteen", 14),
      Map.entry("fifteen", 15), Map.entry("sixteen", 16), Map.entry("seventeen", 17), Map.entry("eighteen", 18),
      Map.entry("nineteen", 19));
  private static final Map<String, Integer> TENS = Map.of("twenty", 20, "thirty", 30, "forty", 40, "fifty", 50,
      "sixty", 60, "seventy", 70, "eighty", 80, "ninety", 90);
  private static final Map<String, Integer> SCALES = Map.of("hundred", 100, "thousand", 1000, "million", 1_000_000);

  /** A word or a number, as the text is scanned. */
  private static final java.util.regex.Pattern WORD = java.util.regex.Pattern.compile("[A-Za-z]+|[0-9]+");
  /** What may stand between two number words of one run ("four thousand, four hundred"). */
  private static final java.util.regex.Pattern RUN_GAP = java.util.regex.Pattern.compile("[\\s,-]*");

  private static final java.util.regex.Pattern DIGITS = java.util.regex.Pattern.compile("[0-9]+");

  private SpokenNumbers() {
  }

  /**
   * {@code text} with each run of number words written as digits ("where is order four four one seven?" becomes
   * "where is order 4417?"); everything else, spacing and punctuation included, is kept. A lone "oh" is a word, not
   * a zero.
   */
  static String withDigits(String text) {
    java.util.regex.Matcher words = WORD.matcher(text);
    StringBuilder out = new StringBuilder();
    int copied = 0;
    List<String> run = new ArrayList<>();
    int runStart = -1;
    int runEnd = -1;
    while (words.find()) {
      String word = words.group().toLowerCase(Locale.ROOT);
      boolean gapOk = runEnd < 0 || RUN_GAP.matcher(text.substring(runEnd, words.start())).matches();
      boolean number = isNumberWord(word) || (word.equals("and") && !run.isEmpty());
      if (number && gapOk) {
        if (run.isEmpty()) {
          runStart = words.start();
        }
        run.add(word);
        runEnd = words.end();
        continue;
      }
      copied = replaceRun(text, out, copied, run, runStart, runEnd);
      run.clear();
      runEnd = -1;
      if (number) {
        runStart = words.start();
        run.add(word);
        runEnd = words.end();
      }
    }
    copied = replaceRun(text, out, copied, run, runStart, runEnd);
    return out.append(text, copied, text.length()).toString();
  }

  private static boolean isDigits(String word) {
    return DIGITS.matcher(word).matches();
  }

  private static boolean isNumberWord(String word) {
    return UNITS.containsKey(word) || TENS.containsKey(word) || SCALES.containsKey(word) || isDigits(word);
  }

  /** Writes the text before the run and the run as digits; returns how far {@code text} is copied. */
  private static int replaceRun(String text, StringBuilder out, int copied, List<String> run, int start, int end) {
    List<String> words = new ArrayList<>(run);
    while (!words.isEmpty() && words.get(words.size() - 1).equals("and")) {
      words.remove(words.size() - 1);
      end = text.toLowerCase(Locale.ROOT).lastIndexOf("and", end - 1);
      end = end < 0 ? start : end;
      while (end > start && !Character.isLetterOrDigit(text.charAt(end - 1))) {
        end--;
      }
    }
    boolean worthIt = !words.isEmpty() && !(words.size() == 1 && (words.get(0).equals("oh")
        || isDigits(words.get(0))));
    if (!worthIt) {
      return copied;
    }
    out.append(text, copied, start).append(digits(words));
    return end;
  }

  /**
   * The run as digits: with a scale word (hundred, thousand) as one number; otherwise as its groups one after
   * another, a group being a tens word and a unit ("forty four"), or one word ("seventeen", "4", "oh").
   */
  private static String digits(List<String> run) {
    if (run.stream().anyMatch(SCALES::containsKey)) {
      long total = 0;
      long current = 0;
      for (String word : run) {
        if (word.equals("and")) {
          continue;
        }
        if (isDigits(word)) {
          current += Long.parseLong(word);
        } else if (UNITS.containsKey(word)) {
          current += UNITS.get(word);
        } else if (TENS.containsKey(word)) {
          current += TENS.get(word);
        } else if (word.equals("hundred")) {
          current = (current == 0 ? 1 : current) * 100;
        } else {
          total += (current == 0 ? 1 : current) * SCALES.get(word);
          current = 0;
        }
      }
      return Long.toString(total + current);
    }
    StringBuilder digits = new StringBuilder();
    for (int i = 0; i < run.size(); i++) {
      String word = run.get(i);
      if (word.equals("and")) {
        continue;
      }
      if (TENS.containsKey(word)) {
        int value = TENS.get(word);
        if (i + 1 < run.size() && UNITS.containsKey(run.get(i + 1)) && UNITS.get(run.get(i + 1)) > 0
            && UNITS.get(run.get(i + 1)) < 10) {
          value += UNITS.get(run.get(++i));
        }
        digits.append(value);
      } else if (UNITS.containsKey(word)) {
        digits.append(UNITS.get(word));
      } else {
        digits.append(word);
      }
    }
    return digits.toString();
  }
}
