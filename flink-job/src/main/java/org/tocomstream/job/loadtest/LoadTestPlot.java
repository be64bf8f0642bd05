package org.tocomstream.job.loadtest;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Stroke;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.tocomstream.control.Ladder;
import org.tocomstream.job.cli.PngCanvas;

/**
 * One policy's run as a PNG, drawn with plain {@code java.awt} (headless): frames/s in and out,
 * frame age p50/p99 on a log scale with the latency target, and the level's rung, over time, with
 * the phases shaded.
 */
public final class LoadTestPlot {

    static final int WIDTH = 1200;
    static final int HEIGHT = 820;
    static final int LEFT = 90;
    static final int RIGHT = 30;
    static final int TOP = 50;
    static final int GAP = 40;
    private static final int[] PANEL = {190, 270, 170};

    private static final Color ARRIVAL = new Color(120, 120, 120);
    private static final Color LABELLED = new Color(31, 119, 180);
    private static final Color SKIPPED = new Color(255, 127, 14);
    private static final Color P50 = new Color(140, 190, 230);
    private static final Color P99 = new Color(20, 60, 140);
    static final Color TARGET = new Color(214, 39, 40);
    private static final Color LEVEL = new Color(44, 160, 44);

    private LoadTestPlot() {}

    static void write(
            LoadTestAnalysis.Report report,
            Ladder ladder,
            List<Double> multipliers,
            long targetMs,
            String title,
            Path file)
            throws IOException {
        PngCanvas.write(file, WIDTH, HEIGHT, g -> {
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, LEFT, 25);
            List<LoadTestAnalysis.Second> sec = report.seconds();
            int n = Math.max(1, sec.size());
            int y = TOP;
            int[] tops = new int[PANEL.length];
            for (int i = 0; i < PANEL.length; i++) {
                tops[i] = y;
                y += PANEL[i] + GAP;
            }
            Frame x = new Frame(n);
            for (int i = 0; i < PANEL.length; i++) {
                phases(g, report, multipliers, x, tops[i], PANEL[i], i == 0);
            }
            rates(g, sec, x, tops[0], PANEL[0]);
            ages(g, sec, x, tops[1], PANEL[1], targetMs);
            levels(g, sec, x, tops[2], PANEL[2], ladder);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            int bottom = tops[2] + PANEL[2];
            for (int t = 0; t <= n; t += tickStep(n)) {
                g.drawLine(x.at(t), bottom, x.at(t), bottom + 4);
                g.drawString(Integer.toString(t), x.at(t) - 8, bottom + 18);
            }
            g.drawString("seconds since phase 1 started", LEFT + (WIDTH - LEFT - RIGHT) / 2 - 90, bottom + 34);
        });
    }

    /** Seconds to x pixels. */
    record Frame(int seconds) {
        int at(double t) {
            return LEFT + (int) Math.round(t * (WIDTH - LEFT - RIGHT) / seconds);
        }
    }

    static int tickStep(int n) {
        for (int step : new int[] {1, 2, 5, 10, 20, 30, 60, 120, 300}) {
            if (n / step <= 15) {
                return step;
            }
        }
        return 600;
    }

    static void phases(
            Graphics2D g, LoadTestAnalysis.Report r, List<Double> m, Frame x, int top, int h, boolean labels) {
        long t0 = r.run().t0();
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i < m.size(); i++) {
            double a = (r.run().phaseStart()[i] - t0) / 1000.0;
            double b = (r.run().phaseEnd()[i] - t0) / 1000.0;
            g.setColor(i % 2 == 0 ? new Color(245, 245, 250) : new Color(232, 236, 245));
            g.fillRect(x.at(a), top, Math.max(1, x.at(b) - x.at(a)), h);
            if (labels) {
                g.setColor(Color.DARK_GRAY);
                g.drawString(
                        String.format(Locale.ROOT, "%d: %sx", i + 1, LoadTestSettings.format(m.get(i))),
                        x.at(a) + 4,
                        top + 14);
            }
        }
        double drain = (r.run().phaseEnd()[m.size() - 1] - t0) / 1000.0;
        if (labels && x.at(drain) < WIDTH - RIGHT - 40) {
            g.setColor(Color.DARK_GRAY);
            g.drawString("drain", x.at(drain) + 4, top + 14);
        }
        g.setColor(Color.GRAY);
        g.drawRect(LEFT, top, WIDTH - LEFT - RIGHT, h);
    }

    private static void rates(Graphics2D g, List<LoadTestAnalysis.Second> sec, Frame x, int top, int h) {
        double max = 1;
        for (LoadTestAnalysis.Second s : sec) {
            max = Math.max(max, Math.max(s.arrived(), s.labelled() + s.skipped()));
        }
        double ymax = niceCeiling(max * 1.1);
        Function<Double, Integer> y = v -> top + h - (int) Math.round(v / ymax * h);
        axis(g, top, h, "frames/s", new double[] {0, ymax / 2, ymax}, y);
        series(g, sec, x, y, s -> (double) s.arrived(), ARRIVAL, 1.5f);
        series(g, sec, x, y, s -> (double) s.labelled(), LABELLED, 2f);
        series(g, sec, x, y, s -> (double) s.skipped(), SKIPPED, 1.5f);
        legend(g, top, new String[] {"arrival", "labelled", "skipped"}, new Color[] {ARRIVAL, LABELLED, SKIPPED});
    }

    private static void ages(Graphics2D g, List<LoadTestAnalysis.Second> sec, Frame x, int top, int h, long targetMs) {
        double max = targetMs * 10.0;
        for (LoadTestAnalysis.Second s : sec) {
            if (s.ageP99Ms() != null) {
                max = Math.max(max, s.ageP99Ms());
            }
        }
        Function<Double, Integer> y = logAxis(g, top, h, "frame age, ms (log)", max);
        Stroke old = g.getStroke();
        g.setColor(TARGET);
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {8, 6}, 0));
        g.drawLine(LEFT, y.apply((double) targetMs), WIDTH - RIGHT, y.apply((double) targetMs));
        g.setStroke(old);
        series(g, sec, x, y, s -> s.ageP50Ms() == null ? null : (double) s.ageP50Ms(), P50, 1.5f);
        series(g, sec, x, y, s -> s.ageP99Ms() == null ? null : (double) s.ageP99Ms(), P99, 2f);
        legend(g, top, new String[] {"p50", "p99", "target " + targetMs + " ms"}, new Color[] {P50, P99, TARGET});
    }

    private static void levels(
            Graphics2D g, List<LoadTestAnalysis.Second> sec, Frame x, int top, int h, Ladder ladder) {
        int rungs = Math.max(1, ladder.top());
        Function<Double, Integer> y = v -> top + h - 10 - (int) Math.round(v / rungs * (h - 20));
        double[] ticks = new double[ladder.size()];
        for (int i = 0; i < ticks.length; i++) {
            ticks[i] = i;
        }
        axis(g, top, h, "level (rung)", ticks, y);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setColor(Color.DARK_GRAY);
        for (int i = 0; i < ladder.size(); i++) {
            g.drawString(ladder.level(i).toString(), LEFT + 4, y.apply((double) i) - 3);
        }
        series(g, sec, x, y, LoadTestAnalysis.Second::level, LEVEL, 2f);
        legend(g, top, new String[] {"mean rung of the labels read each second"}, new Color[] {LEVEL});
    }

    /**
     * A log axis from 10 ms to the decade above {@code max}, ticks at each decade, drawn: the pixel
     * row of a value (clamped to the axis).
     */
    public static Function<Double, Integer> logAxis(Graphics2D g, int top, int h, String name, double max) {
        double lo = 10;
        double hi = Math.pow(10, Math.ceil(Math.log10(max)));
        Function<Double, Integer> y = v -> {
            double c = Math.max(lo, Math.min(hi, v));
            return top + h - (int) Math.round(Math.log10(c / lo) / Math.log10(hi / lo) * h);
        };
        int decades = (int) Math.round(Math.log10(hi / lo));
        double[] ticks = new double[decades + 1];
        for (int i = 0; i <= decades; i++) {
            ticks[i] = lo * Math.pow(10, i);
        }
        axis(g, top, h, name, ticks, y);
        return y;
    }

    /** Grid lines and labels at {@code ticks} and the axis name, rotated, at the left margin. */
    public static void axis(Graphics2D g, int top, int h, String name, double[] ticks, Function<Double, Integer> y) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        int decimals = decimals(ticks);
        for (double t : ticks) {
            int py = y.apply(t);
            g.setColor(new Color(210, 210, 210));
            g.drawLine(LEFT, py, WIDTH - RIGHT, py);
            g.setColor(Color.BLACK);
            String label = String.format(Locale.ROOT, "%." + decimals + "f", t);
            g.drawString(label, LEFT - 8 - g.getFontMetrics().stringWidth(label), py + 4);
        }
        Graphics2D r = (Graphics2D) g.create();
        r.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        r.rotate(-Math.PI / 2);
        r.drawString(name, -(top + h / 2 + r.getFontMetrics().stringWidth(name) / 2), 22);
        r.dispose();
    }

    /**
     * The fewest decimals (at most 4) that print every tick as itself: 0 for whole numbers, 3 for
     * 0.95, 0.975, 1 (one decimal would print 1.0 three times).
     */
    static int decimals(double[] ticks) {
        for (int d = 0; d < 4; d++) {
            double scale = Math.pow(10, d);
            boolean exact = true;
            for (double t : ticks) {
                exact &= Math.abs(Math.rint(t * scale) - t * scale) < 1e-6;
            }
            if (exact) {
                return d;
            }
        }
        return 4;
    }

    static void series(
            Graphics2D g,
            List<LoadTestAnalysis.Second> sec,
            Frame x,
            Function<Double, Integer> y,
            Function<LoadTestAnalysis.Second, Double> value,
            Color color,
            float width) {
        Stroke old = g.getStroke();
        g.setColor(color);
        g.setStroke(new BasicStroke(width));
        Integer px = null;
        Integer py = null;
        for (LoadTestAnalysis.Second s : sec) {
            Double v = value.apply(s);
            if (v == null) {
                px = null;
                continue;
            }
            int cx = x.at(s.t() + 0.5);
            int cy = y.apply(v);
            if (px != null) {
                g.drawLine(px, py, cx, cy);
            } else {
                g.fillOval(cx - 1, cy - 1, 3, 3);
            }
            px = cx;
            py = cy;
        }
        g.setStroke(old);
    }

    static void legend(Graphics2D g, int top, String[] names, Color[] colors) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int lx = WIDTH - RIGHT - 10;
        for (int i = names.length - 1; i >= 0; i--) {
            lx -= g.getFontMetrics().stringWidth(names[i]) + 30;
            g.setColor(colors[i]);
            g.fillRect(lx, top - 14, 18, 4);
            g.setColor(Color.BLACK);
            g.drawString(names[i], lx + 22, top - 8);
        }
    }

    private static double niceCeiling(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double f : new double[] {1, 2, 2.5, 5, 10}) {
            if (f * p >= v) {
                return f * p;
            }
        }
        return 10 * p;
    }
}
