package dev.parley.insights;

import java.util.List;
import java.util.Locale;

/** Small helpers for the self-contained HTML pages: escaping, the page frame, and inline SVG bar charts. */
final class Html {
  static final String STYLE = """
      body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#1d2433;background:#fafbfc}
      h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d9dee7}
      h3{font-size:15px;margin:16px 0 6px}.muted{color:#667085;font-size:13px}
      table{border-collapse:collapse;font-size:13px;margin:6px 0}td,th{border:1px solid #d9dee7;padding:4px 8px;text-align:left;vertical-align:top}
      th{background:#eef1f6}.num{text-align:right;font-variant-numeric:tabular-nums}
      .cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}.card{background:#fff;border:1px solid #d9dee7;border-radius:6px;padding:8px 12px;min-width:150px}
      .card b{display:block;font-size:20px}.turn{background:#fff;border:1px solid #d9dee7;border-radius:6px;padding:10px 14px;margin:10px 0}
      .caller{color:#1f4e9c}.agent{color:#1b6b3a}.warn{color:#a4260e}code{font-size:12px;background:#eef1f6;padding:1px 4px}
      .charts{display:flex;flex-wrap:wrap;gap:18px}
      """;
  private static final String[] COLORS = {"#3867d6", "#20bf6b", "#f7b731", "#eb3b5a", "#8854d0", "#0fb9b1", "#fa8231",
      "#4b6584"};

  private Html() {}

  static String escape(Object value) {
    if (value == null) {
      return "";
    }
    String s = value.toString();
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  static String page(String title, String body) {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title)
        + "</title><style>" + STYLE + "</style></head><body>\n" + body + "\n</body></html>\n";
  }

  /** One labelled bar. */
  record Bar(String label, double value, String valueText) {}

  /** A horizontal bar chart as inline SVG; bars are scaled to {@code max} (or the largest value). */
  static String barChart(String title, List<Bar> bars, double max) {
    int rowHeight = 22;
    int labelWidth = 170;
    int barWidth = 260;
    int height = 26 + rowHeight * Math.max(1, bars.size());
    double top = max > 0 ? max : bars.stream().mapToDouble(Bar::value).max().orElse(1);
    if (top <= 0) {
      top = 1;
    }
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
        + " role=\"img\" aria-label=\"%s\">", labelWidth + barWidth + 90, height, escape(title)));
    svg.append("<text x=\"0\" y=\"15\" font-size=\"13\" font-weight=\"bold\">").append(escape(title)).append("</text>");
    for (int i = 0; i < bars.size(); i++) {
      Bar bar = bars.get(i);
      int y = 24 + i * rowHeight;
      double w = Math.max(0, Math.min(1, bar.value() / top)) * barWidth;
      svg.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\" font-size=\"12\">%s</text>", y + 13,
          escape(truncate(bar.label(), 26))));
      svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>",
          labelWidth, y + 1, w, COLORS[i % COLORS.length]));
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\">%s</text>",
          labelWidth + w + 6, y + 13, escape(bar.valueText())));
    }
    return svg.append("</svg>").toString();
  }

  static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}
