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
import org.tocomstream.job.cli.PngCanvas;

/**
 * The ladders of one {@code loadtest --ladders} run side by side ({@value #FILE_NAME}): frame age
 * p99 per second on a log scale with the latency target, and per phase the top-1 of the labels
 * delivered (solid) and the expected accuracy (dashed, when known), one colour per run; the phases
 * of the first run shaded. Each run's own time axis starts at its phase 1.
 */
final class LoadTestComparePlot {

    static final String FILE_NAME = "loadtest-ladders.png";

    private static final int AGE_PANEL = 300;
    private static final int ACC_PANEL = 260;
    private static final int HEIGHT = LoadTestPlot.TOP + AGE_PANEL + LoadTestPlot.GAP + ACC_PANEL + 80;
    private static final Color[] COLORS = {
        new Color(31, 119, 180),
        new Color(255, 127, 14),
        new Color(44, 160, 44),
        new Color(148, 103, 189),
        new Color(140, 86, 75),
        new Color(227, 119, 194),
        new Color(127, 127, 127),
        new Color(23, 190, 207)
    };

    private LoadTestComparePlot() {}

    static void write(List<LoadTestAnalysis.Report> reports, LoadTestSettings s, Path file) throws IOException {
        PngCanvas.write(file, LoadTestPlot.WIDTH, HEIGHT, g -> {
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(
                    String.format(
                            Locale.ROOT,
                            "ladders compared: same capacity %.1f frames/s, same load, %d streams",
                            s.capacity(),
                            s.streams()),
                    LoadTestPlot.LEFT,
                    25);
            int n = 1;
            for (LoadTestAnalysis.Report r : reports) {
                n = Math.max(n, r.seconds().size());
            }
            LoadTestPlot.Frame x = new LoadTestPlot.Frame(n);
            int ageTop = LoadTestPlot.TOP;
            int accTop = ageTop + AGE_PANEL + LoadTestPlot.GAP;
            LoadTestPlot.phases(g, reports.get(0), s.phases(), x, ageTop, AGE_PANEL, true);
            LoadTestPlot.phases(g, reports.get(0), s.phases(), x, accTop, ACC_PANEL, false);
            ages(g, reports, x, ageTop, s.latencyTarget().toMillis());
            accuracy(g, reports, x, accTop);
            String[] names = new String[reports.size()];
            Color[] colors = new Color[reports.size()];
            for (int i = 0; i < reports.size(); i++) {
                names[i] = reports.get(i).run().id();
                colors[i] = COLORS[i % COLORS.length];
            }
            LoadTestPlot.legend(g, ageTop, names, colors);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            int bottom = accTop + ACC_PANEL;
            for (int t = 0; t <= n; t += LoadTestPlot.tickStep(n)) {
                g.drawLine(x.at(t), bottom, x.at(t), bottom + 4);
                g.drawString(Integer.toString(t), x.at(t) - 8, bottom + 18);
            }
            g.drawString(
                    "seconds since phase 1 started; accuracy: "
                            + (LoadTestOutput.agreement(reports.get(0))
                                    ? "agreement of the labels delivered with the plain model's top-1"
                                    : "top-1 of the labels delivered")
                            + " per phase (solid), expected accuracy (dashed)",
                    LoadTestPlot.LEFT,
                    bottom + 36);
        });
    }

    private static void ages(
            Graphics2D g, List<LoadTestAnalysis.Report> reports, LoadTestPlot.Frame x, int top, long targetMs) {
        double max = targetMs * 10.0;
        for (LoadTestAnalysis.Report r : reports) {
            for (LoadTestAnalysis.Second s : r.seconds()) {
                if (s.ageP99Ms() != null) {
                    max = Math.max(max, s.ageP99Ms());
                }
            }
        }
        double lo = 10;
        double hi = Math.pow(10, Math.ceil(Math.log10(max)));
        int h = AGE_PANEL;
        Function<Double, Integer> y = v -> {
            double c = Math.max(lo, Math.min(hi, v));
            return top + h - (int) Math.round(Math.log10(c / lo) / Math.log10(hi / lo) * h);
        };
        int decades = (int) Math.round(Math.log10(hi / lo));
        double[] ticks = new double[decades + 1];
        for (int i = 0; i <= decades; i++) {
            ticks[i] = lo * Math.pow(10, i);
        }
        LoadTestPlot.axis(g, top, h, "frame age p99, ms (log)", ticks, y);
        Stroke old = g.getStroke();
        g.setColor(LoadTestPlot.TARGET);
        g.setStroke(dashed(1.5f));
        g.drawLine(
                LoadTestPlot.LEFT, y.apply((double) targetMs), LoadTestPlot.WIDTH - LoadTestPlot.RIGHT, y.apply((double)
                        targetMs));
        g.setStroke(old);
        for (int i = 0; i < reports.size(); i++) {
            LoadTestPlot.series(
                    g,
                    reports.get(i).seconds(),
                    x,
                    y,
                    s -> s.ageP99Ms() == null ? null : (double) s.ageP99Ms(),
                    COLORS[i % COLORS.length],
                    2f);
        }
    }

    /** Per phase a horizontal segment over the phase's time: top-1 solid, expected accuracy dashed. */
    private static void accuracy(Graphics2D g, List<LoadTestAnalysis.Report> reports, LoadTestPlot.Frame x, int top) {
        double min = 1;
        for (LoadTestAnalysis.Report r : reports) {
            for (LoadTestAnalysis.Phase p : phases(r)) {
                min = Math.min(min, p.measuredTop1() == null ? 1 : p.measuredTop1());
                min = Math.min(min, p.expectedAccuracy() == null ? 1 : p.expectedAccuracy());
            }
        }
        double lo = Math.max(0, Math.floor((min - 0.02) * 20) / 20);
        int h = ACC_PANEL;
        Function<Double, Integer> y = v -> top + h - (int) Math.round((v - lo) / (1 - lo) * h);
        LoadTestPlot.axis(g, top, h, "accuracy", new double[] {lo, (lo + 1) / 2, 1}, y);
        Stroke old = g.getStroke();
        for (int i = 0; i < reports.size(); i++) {
            LoadTestAnalysis.Report r = reports.get(i);
            List<LoadTestAnalysis.Phase> phases = phases(r);
            g.setColor(COLORS[i % COLORS.length]);
            for (int k = 0; k < phases.size(); k++) {
                double a = (r.run().phaseStart()[k] - r.run().t0()) / 1000.0;
                double b = (r.run().phaseEnd()[k] - r.run().t0()) / 1000.0;
                LoadTestAnalysis.Phase p = phases.get(k);
                if (p.measuredTop1() != null) {
                    g.setStroke(new BasicStroke(3f));
                    g.drawLine(x.at(a), y.apply(p.measuredTop1()), x.at(b), y.apply(p.measuredTop1()));
                }
                if (p.expectedAccuracy() != null) {
                    g.setStroke(dashed(2f));
                    g.drawLine(x.at(a), y.apply(p.expectedAccuracy()), x.at(b), y.apply(p.expectedAccuracy()));
                }
            }
        }
        g.setStroke(old);
    }

    /** The phases between the warm-up and the drain. */
    private static List<LoadTestAnalysis.Phase> phases(LoadTestAnalysis.Report r) {
        return r.phases().subList(1, r.phases().size() - 1);
    }

    private static Stroke dashed(float width) {
        return new BasicStroke(width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {8, 6}, 0);
    }
}
