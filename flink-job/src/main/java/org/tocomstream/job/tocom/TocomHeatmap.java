package org.tocomstream.job.tocom;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import org.tocomstream.job.cli.PngCanvas;

/**
 * The (m, n) grid of a {@code tocom eval} run as a PNG heat map, drawn with plain {@code java.awt}
 * (headless): rows m (the teacher degree), columns n (the inference degree), one panel of the KL
 * reduction the plugin brings ({@code 1 − KL compensated / KL plain}; green lower, red higher) and,
 * when the images are labelled, one of the top-1 change in points. Cells with m = n, or not in the
 * grid, are grey.
 */
public final class TocomHeatmap {

    private static final int CELL = 56;
    private static final int MARGIN_LEFT = 56;
    private static final int MARGIN_TOP = 64;
    private static final int GAP = 48;
    private static final int MARGIN_BOTTOM = 40;

    private TocomHeatmap() {}

    /** Writes the heat map of {@code report} to {@code file} (PNG). */
    static void write(TocomEvalReport report, Path file) throws IOException {
        TreeSet<Integer> degreeSet = new TreeSet<>();
        for (TocomEvalReport.Cell c : report.cells()) {
            degreeSet.add(c.m());
            degreeSet.add(c.n());
        }
        List<Integer> degrees = new ArrayList<>(degreeSet);
        boolean labelled = report.cells().stream().allMatch(c -> c.accuracyPlain() != null);
        int panels = labelled ? 2 : 1;
        int side = degrees.size() * CELL;
        int width = MARGIN_LEFT + panels * side + (panels - 1) * GAP + 24;
        int height = MARGIN_TOP + side + MARGIN_BOTTOM;
        PngCanvas.write(file, Math.max(width, 360), height, g -> {
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.drawString(
                    String.format(
                            Locale.ROOT,
                            "%s + ToCom (s = %s, %s), %d images",
                            report.architecture(),
                            report.scale(),
                            report.mode(),
                            report.images()),
                    8,
                    18);
            double maxGain = 0;
            for (TocomEvalReport.Cell c : report.cells()) {
                if (labelled && c.m() != c.n()) {
                    maxGain = Math.max(maxGain, Math.abs(c.accuracyCompensated() - c.accuracyPlain()));
                }
            }
            double gainRange = Math.max(maxGain, 0.01);
            panel(
                    g,
                    report,
                    degrees,
                    MARGIN_LEFT,
                    "KL to m: reduction",
                    c -> c.klPlain() > 0 ? 1 - c.klCompensated() / c.klPlain() : Double.NaN,
                    1.0,
                    v -> String.format(Locale.ROOT, "%+.0f%%", 100 * v));
            if (labelled) {
                panel(
                        g,
                        report,
                        degrees,
                        MARGIN_LEFT + side + GAP,
                        "top-1 change",
                        c -> c.accuracyCompensated() - c.accuracyPlain(),
                        gainRange,
                        v -> String.format(Locale.ROOT, "%+.1f", 100 * v));
            }
        });
    }

    private interface Text {
        String of(double v);
    }

    /** One panel: value v of each cell, coloured on [-range, range] (positive = better, green). */
    private static void panel(
            Graphics2D g,
            TocomEvalReport report,
            List<Integer> degrees,
            int x0,
            String title,
            ToDoubleFunction<TocomEvalReport.Cell> value,
            double range,
            Text text) {
        int k = degrees.size();
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.BLACK);
        g.drawString(title + " (rows m, columns n)", x0, MARGIN_TOP - 26);
        FontMetrics fm = g.getFontMetrics();
        for (int i = 0; i < k; i++) {
            String d = Integer.toString(degrees.get(i));
            g.drawString(d, x0 + i * CELL + (CELL - fm.stringWidth(d)) / 2, MARGIN_TOP - 6);
            g.drawString(d, x0 - 8 - fm.stringWidth(d), MARGIN_TOP + i * CELL + CELL / 2 + 4);
        }
        for (int row = 0; row < k; row++) {
            for (int col = 0; col < k; col++) {
                int x = x0 + col * CELL;
                int y = MARGIN_TOP + row * CELL;
                TocomEvalReport.Cell cell = find(report, degrees.get(row), degrees.get(col));
                double v = cell == null || cell.m() == cell.n() ? Double.NaN : value.applyAsDouble(cell);
                g.setColor(Double.isNaN(v) ? new Color(0xDD, 0xDD, 0xDD) : colour(v / range));
                g.fillRect(x, y, CELL, CELL);
                g.setColor(Color.WHITE);
                g.setStroke(new BasicStroke(1f));
                g.drawRect(x, y, CELL, CELL);
                if (!Double.isNaN(v)) {
                    String s = text.of(v);
                    g.setColor(Color.BLACK);
                    g.drawString(s, x + (CELL - fm.stringWidth(s)) / 2, y + CELL / 2 + 4);
                }
            }
        }
    }

    private static TocomEvalReport.Cell find(TocomEvalReport report, int m, int n) {
        for (TocomEvalReport.Cell c : report.cells()) {
            if (c.m() == m && c.n() == n) {
                return c;
            }
        }
        return null;
    }

    /** t in [-1, 1] (clamped): red (worse) through white to green (better). */
    static Color colour(double t) {
        double u = Math.max(-1, Math.min(1, t));
        int r;
        int gr;
        int b;
        if (u >= 0) {
            r = (int) Math.round(255 - u * (255 - 0x2E));
            gr = (int) Math.round(255 - u * (255 - 0x9E));
            b = (int) Math.round(255 - u * (255 - 0x4F));
        } else {
            double a = -u;
            r = (int) Math.round(255 - a * (255 - 0xD7));
            gr = (int) Math.round(255 - a * (255 - 0x30));
            b = (int) Math.round(255 - a * (255 - 0x27));
        }
        return new Color(r, gr, b);
    }
}
