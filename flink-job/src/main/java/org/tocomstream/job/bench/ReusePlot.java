package org.tocomstream.job.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.tocomstream.job.cli.PngCanvas;

/**
 * {@code bench --video}'s levels as a PNG, drawn with plain {@code java.awt} (headless): steady-state
 * speed-up over {@code none} against top-1 agreement with the plain model, one labelled point per
 * level, the reuse levels joined in the order given (a sweep: by k), a dashed line at 1×.
 */
final class ReusePlot {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 620;
    private static final int LEFT = 80;
    private static final int RIGHT = 40;
    private static final int TOP = 60;
    private static final int BOTTOM = 60;
    private static final Color REUSE = new Color(31, 119, 180);
    private static final Color OTHER = new Color(255, 127, 14);

    private ReusePlot() {}

    /** Pixel mapping of the data ranges. */
    private record Axes(double x0, double x1, double y0, double y1) {
        int x(double agreement) {
            return LEFT + (int) Math.round((agreement - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT));
        }

        int y(double speedup) {
            return HEIGHT - BOTTOM - (int) Math.round((speedup - y0) / (y1 - y0) * (HEIGHT - TOP - BOTTOM));
        }
    }

    static void write(VideoBenchReport report, Path file) throws IOException {
        List<VideoBenchReport.Row> rows = report.rows();
        double minA =
                rows.stream().mapToDouble(VideoBenchReport.Row::agreement).min().orElse(0);
        double maxS =
                rows.stream().mapToDouble(VideoBenchReport.Row::speedup).max().orElse(1);
        double x0 = Math.max(0, Math.floor((minA - 0.02) * 20) / 20);
        Axes ax = new Axes(x0, 1.0 + (1.0 - x0) * 0.04, 0, Math.max(1.2, maxS * 1.1));
        PngCanvas.write(file, WIDTH, HEIGHT, g -> {
            frame(g, ax, report);
            points(g, ax, rows);
        });
    }

    private static void frame(Graphics2D g, Axes ax, VideoBenchReport report) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(
                String.format(
                        Locale.ROOT,
                        "%s on %s: %d streams (batch %d), %s",
                        report.model().architecture(),
                        report.video().name(),
                        report.parameters().streams(),
                        report.parameters().streams(),
                        report.parameters().device()),
                LEFT,
                24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(report.model().source() + "; " + report.machine().cpuModel(), LEFT, 42);
        int xo = ax.x(ax.x0());
        int yo = ax.y(ax.y0());
        g.drawLine(xo, yo, ax.x(ax.x1()), yo);
        g.drawLine(xo, yo, xo, ax.y(ax.y1()));
        double xStep = step(ax.x1() - ax.x0());
        for (double a = Math.ceil(ax.x0() / xStep - 1e-9) * xStep; a <= ax.x1() + 1e-9; a += xStep) {
            g.drawLine(ax.x(a), yo, ax.x(a), yo + 4);
            g.drawString(label(100 * a, 100 * xStep), ax.x(a) - 12, yo + 18);
        }
        double yStep = step(ax.y1() - ax.y0());
        for (double sp = 0; sp <= ax.y1() + 1e-9; sp += yStep) {
            g.drawLine(xo - 4, ax.y(sp), xo, ax.y(sp));
            g.drawString(label(sp, yStep) + "x", xo - 45, ax.y(sp) + 4);
        }
        g.drawString("top-1 agreement with the plain model, % of frames", LEFT + 220, HEIGHT - 18);
        g.drawString("images/s over none's (steady state)", 8, TOP - 4);
        g.setColor(new Color(150, 150, 150));
        g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {4, 4}, 0));
        g.drawLine(xo, ax.y(1), ax.x(ax.x1()), ax.y(1));
        g.setStroke(new BasicStroke(1));
    }

    /** A round tick step (1, 2 or 5 times a power of ten) giving 4 to 10 ticks over {@code range}. */
    static double step(double range) {
        double raw = range / 5;
        double power = Math.pow(10, Math.floor(Math.log10(raw)));
        double m = raw / power;
        return power * (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10);
    }

    /** {@code v} with as many decimals as the tick step {@code step} needs. */
    private static String label(double v, double step) {
        int decimals = (int) Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static void points(Graphics2D g, Axes ax, List<VideoBenchReport.Row> rows) {
        g.setColor(REUSE);
        g.setStroke(new BasicStroke(2));
        VideoBenchReport.Row prev = null;
        for (VideoBenchReport.Row r : rows) {
            if (!r.level().startsWith("reuse:")) {
                continue;
            }
            if (prev != null) {
                g.drawLine(ax.x(prev.agreement()), ax.y(prev.speedup()), ax.x(r.agreement()), ax.y(r.speedup()));
            }
            prev = r;
        }
        g.setStroke(new BasicStroke(1));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (VideoBenchReport.Row r : rows) {
            boolean reuse = r.level().startsWith("reuse:");
            g.setColor(r.level().equals("none") ? Color.BLACK : reuse ? REUSE : OTHER);
            int x = ax.x(r.agreement());
            int y = ax.y(r.speedup());
            g.fillOval(x - 4, y - 4, 9, 9);
            String label = reuse ? "k=" + r.level().substring("reuse:".length()) : r.level();
            g.drawString(label, x + 7, y - 6);
        }
    }
}
