package org.tocomstream.job.capacity;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Stroke;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;
import org.tocomstream.job.cli.PngCanvas;
import org.tocomstream.job.loadtest.LoadTestPlot;

/**
 * The three strategies over time as one PNG (plain {@code java.awt}, headless): the oldest
 * labelled frame's age per second (log scale, with the latency target), the slots held (the cost)
 * against the offered load, the mean rung labelled, and the busiest subtask's full-quality load
 * against its busy fraction for the autoscaled and the average-sized runs.
 */
final class CapacityPlot {

    static final int WIDTH = 1200;
    static final int LEFT = 90;
    static final int RIGHT = 30;
    static final int TOP = 50;
    static final int GAP = 42;
    private static final int[] PANEL = {200, 160, 140, 190};
    static final int HEIGHT = TOP + PANEL[0] + PANEL[1] + PANEL[2] + PANEL[3] + 3 * GAP + 50;

    /** Colours of the strategies, in the order run. */
    static final Color[] COLORS = {new Color(31, 119, 180), new Color(120, 120, 120), new Color(255, 127, 14)};

    private static final Color TARGET = new Color(214, 39, 40);
    private static final Color BAND = new Color(150, 150, 150);

    private CapacityPlot() {}

    static void write(
            List<CapacitySimulation.Outcome> runs,
            CapacityTrace trace,
            SimLadder ladder,
            long targetMs,
            CapacityReport.ScalingInfo scaling,
            String title,
            Path file)
            throws IOException {
        PngCanvas.write(file, WIDTH, HEIGHT, g -> {
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(title, LEFT, 25);
            double seconds = trace.totalMs() / 1000.0;
            DoubleUnaryOperator x = t -> LEFT + t * (WIDTH - LEFT - RIGHT) / seconds;
            int[] tops = new int[PANEL.length];
            int y = TOP;
            for (int i = 0; i < PANEL.length; i++) {
                tops[i] = y;
                y += PANEL[i] + GAP;
                shade(g, trace, x, tops[i], PANEL[i]);
            }
            ages(g, runs, x, tops[0], PANEL[0], targetMs);
            slots(g, runs, trace, x, tops[1], PANEL[1]);
            rungs(g, runs, ladder, x, tops[2], PANEL[2]);
            loads(g, runs, x, tops[3], PANEL[3], scaling);
            int bottom = tops[3] + PANEL[3];
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            int stepMinutes = seconds / 60 > 60 ? 10 : 5;
            for (int m = 0; m * 60 <= seconds; m += stepMinutes) {
                int px = (int) x.applyAsDouble(m * 60.0);
                g.drawLine(px, bottom, px, bottom + 4);
                g.drawString(Integer.toString(m), px - 6, bottom + 18);
            }
            g.drawString("minutes", LEFT + (WIDTH - LEFT - RIGHT) / 2 - 20, bottom + 34);
        });
    }

    private static void shade(Graphics2D g, CapacityTrace trace, DoubleUnaryOperator x, int top, int h) {
        int a = (int) x.applyAsDouble(trace.peakStartMs() / 1000.0);
        int b = (int) x.applyAsDouble(trace.peakEndMs() / 1000.0);
        g.setColor(new Color(252, 236, 230));
        g.fillRect(a, top, b - a, h);
        g.setColor(Color.GRAY);
        g.drawRect(LEFT, top, WIDTH - LEFT - RIGHT, h);
    }

    private static void ages(
            Graphics2D g, List<CapacitySimulation.Outcome> runs, DoubleUnaryOperator x, int top, int h, long targetMs) {
        double max = targetMs * 10.0;
        for (CapacitySimulation.Outcome o : runs) {
            for (SimTally.Second s : o.tally().seconds) {
                if (s.oldestAgeMs() != null) {
                    max = Math.max(max, s.oldestAgeMs());
                }
            }
        }
        Function<Double, Integer> y = LoadTestPlot.logAxis(g, top, h, "oldest labelled frame, ms (log)", max);
        dashed(g, TARGET, LEFT, y.apply((double) targetMs), WIDTH - RIGHT, y.apply((double) targetMs));
        for (int i = runs.size() - 1; i >= 0; i--) {
            series(g, runs.get(i).tally().seconds, x, y, SimTally.Second::oldestAgeMs, COLORS[i], 1.5f, false);
        }
        legend(g, top, runs, "latency target " + targetMs + " ms", TARGET);
    }

    private static void slots(
            Graphics2D g,
            List<CapacitySimulation.Outcome> runs,
            CapacityTrace trace,
            DoubleUnaryOperator x,
            int top,
            int h) {
        double max = trace.peak();
        for (CapacitySimulation.Outcome o : runs) {
            for (SimTally.Second s : o.tally().seconds) {
                max = Math.max(max, s.slots());
            }
        }
        double ymax = Math.ceil(max + 0.5);
        Function<Double, Integer> y = v -> top + h - (int) Math.round(v / ymax * h);
        double[] ticks = new double[(int) ymax + 1];
        for (int i = 0; i < ticks.length; i++) {
            ticks[i] = i;
        }
        LoadTestPlot.axis(g, top, h, "slots (cost)", ticks, y);
        int a = (int) x.applyAsDouble(trace.peakStartMs() / 1000.0);
        int b = (int) x.applyAsDouble(trace.peakEndMs() / 1000.0);
        dashed(g, Color.DARK_GRAY, LEFT, y.apply(trace.calm()), a, y.apply(trace.calm()));
        dashed(g, Color.DARK_GRAY, a, y.apply(trace.peak()), b, y.apply(trace.peak()));
        dashed(g, Color.DARK_GRAY, b, y.apply(trace.calm()), WIDTH - RIGHT, y.apply(trace.calm()));
        for (int i = runs.size() - 1; i >= 0; i--) {
            double offset = (i - 1) * 0.04 * ymax / 4;
            series(g, runs.get(i).tally().seconds, x, y, s -> s.slots() + offset, COLORS[i], 2f, false);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setColor(Color.DARK_GRAY);
        g.drawString("dashed: load offered, in slots at full quality", LEFT + 6, top + 14);
    }

    private static void rungs(
            Graphics2D g,
            List<CapacitySimulation.Outcome> runs,
            SimLadder ladder,
            DoubleUnaryOperator x,
            int top,
            int h) {
        int top2 = Math.max(1, ladder.ladder().top());
        Function<Double, Integer> y = v -> top + h - 10 - (int) Math.round(v / top2 * (h - 20));
        double[] ticks = new double[ladder.size()];
        for (int i = 0; i < ticks.length; i++) {
            ticks[i] = i;
        }
        LoadTestPlot.axis(g, top, h, "mean rung labelled", ticks, y);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setColor(Color.DARK_GRAY);
        for (int i = 0; i < ladder.size(); i++) {
            g.drawString(ladder.ladder().level(i).toString(), LEFT + 4, y.apply((double) i) - 3);
        }
        for (int i = runs.size() - 1; i >= 0; i--) {
            series(g, runs.get(i).tally().seconds, x, y, SimTally.Second::meanRung, COLORS[i], 1.5f, false);
        }
    }

    private static void loads(
            Graphics2D g,
            List<CapacitySimulation.Outcome> runs,
            DoubleUnaryOperator x,
            int top,
            int h,
            CapacityReport.ScalingInfo scaling) {
        double ymax = 2;
        for (CapacitySimulation.Outcome o : runs) {
            for (SimTally.Second s : o.tally().seconds) {
                if (s.fullQualityLoad() != null) {
                    ymax = Math.max(ymax, Math.ceil(s.fullQualityLoad() * 2) / 2);
                }
            }
        }
        double top2 = Math.min(ymax, 3);
        Function<Double, Integer> y = v -> top + h - (int) Math.round(Math.min(v, top2) / top2 * h);
        double[] ticks = new double[(int) Math.round(top2 * 2) + 1];
        for (int i = 0; i < ticks.length; i++) {
            ticks[i] = i / 2.0;
        }
        LoadTestPlot.axis(g, top, h, "busiest subtask", ticks, y);
        for (double bound : new double[] {scaling.lowerLoad(), scaling.upperLoad()}) {
            dashed(g, BAND, LEFT, y.apply(bound), WIDTH - RIGHT, y.apply(bound));
        }
        for (int i = 0; i < runs.size(); i++) {
            if (runs.get(i).strategy().autoscale() || i == runs.size() - 1) {
                series(g, runs.get(i).tally().seconds, x, y, SimTally.Second::fullQualityLoad, COLORS[i], 2f, false);
                series(g, runs.get(i).tally().seconds, x, y, SimTally.Second::busy, COLORS[i], 1.5f, true);
            }
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setColor(Color.DARK_GRAY);
        g.drawString(
                String.format(
                        Locale.ROOT,
                        "solid: full-quality load; dashed: busy fraction at the level run (what Flink's autoscaler"
                                + " sees); grey: the policy's bounds %.1f and %.1f",
                        scaling.lowerLoad(),
                        scaling.upperLoad()),
                LEFT + 6,
                top + 14);
    }

    private static void dashed(Graphics2D g, Color c, int x1, int y1, int x2, int y2) {
        Stroke old = g.getStroke();
        g.setColor(c);
        g.setStroke(new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {8, 6}, 0));
        g.drawLine(x1, y1, x2, y2);
        g.setStroke(old);
    }

    private static void series(
            Graphics2D g,
            List<SimTally.Second> sec,
            DoubleUnaryOperator x,
            Function<Double, Integer> y,
            Function<SimTally.Second, Double> value,
            Color color,
            float width,
            boolean dashes) {
        Stroke old = g.getStroke();
        g.setColor(color);
        g.setStroke(
                dashes
                        ? new BasicStroke(
                                width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {5, 4}, 0)
                        : new BasicStroke(width));
        Integer px = null;
        Integer py = null;
        for (SimTally.Second s : sec) {
            Double v = value.apply(s);
            if (v == null) {
                px = null;
                continue;
            }
            int cx = (int) Math.round(x.applyAsDouble(s.t() + 0.5));
            int cy = y.apply(v);
            if (px != null) {
                g.drawLine(px, py, cx, cy);
            }
            px = cx;
            py = cy;
        }
        g.setStroke(old);
    }

    private static void legend(
            Graphics2D g, int top, List<CapacitySimulation.Outcome> runs, String extra, Color extraColor) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int lx = WIDTH - RIGHT - 10;
        for (int i = runs.size(); i >= 0; i--) {
            String name = i == runs.size() ? extra : runs.get(i).strategy().name();
            Color c = i == runs.size() ? extraColor : COLORS[i];
            lx -= g.getFontMetrics().stringWidth(name) + 30;
            g.setColor(c);
            g.fillRect(lx, top - 14, 18, 4);
            g.setColor(Color.BLACK);
            g.drawString(name, lx + 22, top - 8);
        }
    }
}
