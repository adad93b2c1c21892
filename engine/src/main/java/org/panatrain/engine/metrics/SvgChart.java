// A line chart as inline SVG, drawn by hand so that a report needs no script or stylesheet from
// anywhere: a fixed-size frame, the plot area spanning exactly the data's range (x from its
// smallest to its largest over the points drawn, y over every finite value of every series), five
// labelled ticks per axis, one polyline per series and a legend. A point maps to
//   px = PLOT_LEFT + PLOT_WIDTH * (x - xMin) / (xMax - xMin)
//   py = PLOT_TOP + PLOT_HEIGHT * (yMax - y) / (yMax - yMin)
// written with two decimals; a range of zero width is widened to +-1 around its value.
// Non-finite y values are left out of the polyline. Leaves out log scales and smoothing.
package org.panatrain.engine.metrics;

import java.util.List;
import java.util.Locale;

/**
 * Draws series of (x, y) points.
 *
 * <pre>{@code
 * String svg = SvgChart.draw("loss", "step", List.of(
 *         new SvgChart.Series("train", "#1f77b4", steps, losses)));
 * }</pre>
 */
public final class SvgChart {
    public static final int WIDTH = 720;
    public static final int HEIGHT = 280;
    public static final double PLOT_LEFT = 80;
    public static final double PLOT_TOP = 30;
    public static final double PLOT_WIDTH = 600;
    public static final double PLOT_HEIGHT = 200;
    private static final int TICKS = 5;

    /** One line: its legend label, its CSS colour, and its points (x ascending). */
    public record Series(String label, String color, double[] x, double[] y) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException(label + ": " + x.length + " x values but " + y.length + " y values");
            }
        }
    }

    private SvgChart() {
    }

    /** An {@code <svg>} element with the series drawn over shared axes. */
    public static String draw(String yLabel, String xLabel, List<Series> series) {
        double[] xRange = range(series, true);
        double[] yRange = range(series, false);
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">%n",
                WIDTH, HEIGHT, WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT,
                "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"#999\"/>%n",
                PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT));
        for (int i = 0; i < TICKS; i++) {
            double f = (double) i / (TICKS - 1);
            double px = PLOT_LEFT + PLOT_WIDTH * f;
            double py = PLOT_TOP + PLOT_HEIGHT * (1 - f);
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#eee\"/>%n",
                    PLOT_LEFT, py, PLOT_LEFT + PLOT_WIDTH, py));
            svg.append(String.format(Locale.ROOT,
                    "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"11\">%s</text>%n",
                    PLOT_LEFT - 6, py + 4, escape(label(yRange[0] + f * (yRange[1] - yRange[0])))));
            svg.append(String.format(Locale.ROOT,
                    "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"11\">%s</text>%n",
                    px, PLOT_TOP + PLOT_HEIGHT + 16, escape(label(xRange[0] + f * (xRange[1] - xRange[0])))));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\">%s</text>%n",
                PLOT_LEFT + PLOT_WIDTH / 2, PLOT_TOP + PLOT_HEIGHT + 36, escape(xLabel)));
        svg.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"12\">%s</text>%n",
                PLOT_LEFT, PLOT_TOP - 10, escape(yLabel)));
        double legendX = PLOT_LEFT + PLOT_WIDTH;
        for (Series s : series) {
            svg.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(escape(s.color()))
                    .append("\" data-series=\"").append(escape(s.label())).append("\" points=\"");
            boolean first = true;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i])) {
                    continue;
                }
                double px = PLOT_LEFT + PLOT_WIDTH * (s.x()[i] - xRange[0]) / (xRange[1] - xRange[0]);
                double py = PLOT_TOP + PLOT_HEIGHT * (yRange[1] - s.y()[i]) / (yRange[1] - yRange[0]);
                svg.append(first ? "" : " ").append(String.format(Locale.ROOT, "%.2f,%.2f", px, py));
                first = false;
            }
            svg.append("\"/>\n");
            svg.append(String.format(Locale.ROOT,
                    "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"12\" fill=\"%s\">%s</text>%n",
                    legendX, PLOT_TOP - 10, escape(s.color()), escape(s.label())));
            legendX -= 8 * s.label().length() + 24;
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    // [min, max] of x (all points) or of y (finite points), widened to +-1 when empty or flat
    private static double[] range(List<Series> series, boolean x) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                double v = x ? s.x()[i] : s.y()[i];
                if (Double.isFinite(s.y()[i]) && Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        if (min > max) {
            return new double[] {-1, 1};
        }
        return min == max ? new double[] {min - 1, max + 1} : new double[] {min, max};
    }

    // whole numbers (steps, tokens/s) in full, others to 3 significant digits
    private static String label(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : String.format(Locale.ROOT, "%.3g", v);
    }

    /** Text with XML's five special characters escaped, for element content and attribute values. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
