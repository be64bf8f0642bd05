package org.tocomstream.job.ladder;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.job.cli.PngCanvas;

/**
 * The measured ladder as a PNG, drawn with plain {@code java.awt} (headless): quality (top-1 or
 * agreement, %) against end-to-end frames/s, one colour per family, the Pareto frontier as a line,
 * the target speed-ups as dashed verticals, and the chosen rungs circled and named.
 */
final class LadderPlot {

    private static final int WIDTH = 1000;
    private static final int HEIGHT = 680;
    private static final int LEFT = 80;
    private static final int RIGHT = 200;
    private static final int TOP = 50;
    private static final int BOTTOM = 60;

    private static final Color[] PALETTE = {
        new Color(0, 0, 0),
        new Color(31, 119, 180),
        new Color(255, 127, 14),
        new Color(44, 160, 44),
        new Color(214, 39, 40),
        new Color(148, 103, 189),
        new Color(140, 86, 75),
        new Color(227, 119, 194)
    };

    private LadderPlot() {}

    /** Pixel mapping of the data ranges. */
    private record Axes(double x0, double x1, double y0, double y1) {
        int x(double fps) {
            return LEFT + (int) Math.round((fps - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT));
        }

        int y(double quality) {
            return HEIGHT - BOTTOM - (int) Math.round((quality - y0) / (y1 - y0) * (HEIGHT - TOP - BOTTOM));
        }
    }

    static void write(MeasuredLadder ladder, Path file) throws IOException {
        List<MeasuredLadder.Candidate> cs = ladder.candidates();
        double noneFps = cs.stream()
                .filter(c -> c.level().equals(MeasuredLadder.NONE))
                .mapToDouble(MeasuredLadder.Candidate::framesPerSecond)
                .findFirst()
                .orElse(1);
        double maxFps = cs.stream()
                .mapToDouble(MeasuredLadder.Candidate::framesPerSecond)
                .max()
                .orElse(1);
        double maxTarget = ladder.rungs().stream()
                .mapToDouble(MeasuredLadder.Rung::target)
                .max()
                .orElse(1);
        double minQ =
                cs.stream().mapToDouble(MeasuredLadder.Candidate::quality).min().orElse(0);
        double maxQ =
                cs.stream().mapToDouble(MeasuredLadder.Candidate::quality).max().orElse(1);
        double pad = Math.max(0.02, (maxQ - minQ) * 0.08);
        Axes ax = new Axes(
                0,
                Math.max(maxFps, noneFps * maxTarget) * 1.08,
                Math.max(0, minQ - pad),
                Math.min(1, maxQ + pad) + 1e-9);
        PngCanvas.write(file, WIDTH, HEIGHT, g -> {
            frame(g, ax, ladder);
            targets(g, ax, ladder, noneFps);
            frontier(g, ax, cs);
            Map<String, Color> colours = points(g, ax, cs);
            rungs(g, ax, ladder);
            legend(g, colours);
        });
    }

    private static void frame(Graphics2D g, Axes ax, MeasuredLadder ladder) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(
                String.format(
                        Locale.ROOT,
                        "%s: measured ladder on %s (batch %d)",
                        ladder.model().architecture(),
                        ladder.data().description(),
                        ladder.batch()),
                LEFT,
                28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int x0 = ax.x(ax.x0());
        int y0 = ax.y(ax.y0());
        g.drawLine(x0, y0, ax.x(ax.x1()), y0);
        g.drawLine(x0, y0, x0, ax.y(ax.y1()));
        for (int i = 0; i <= 5; i++) {
            double fps = ax.x0() + (ax.x1() - ax.x0()) * i / 5;
            double q = ax.y0() + (ax.y1() - ax.y0()) * i / 5;
            g.drawString(String.format(Locale.ROOT, "%.0f", fps), ax.x(fps) - 10, y0 + 18);
            g.drawString(String.format(Locale.ROOT, "%.1f", 100 * q), x0 - 40, ax.y(q) + 4);
        }
        g.drawString("end-to-end frames/s (decode, preprocess, forward)", LEFT + 200, HEIGHT - 18);
        g.drawString(MeasuredLadder.TOP1.equals(ladder.metric()) ? "top-1 %" : "agreement with none %", 8, TOP - 8);
    }

    private static void targets(Graphics2D g, Axes ax, MeasuredLadder ladder, double noneFps) {
        g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {4, 4}, 0));
        g.setColor(new Color(150, 150, 150));
        for (MeasuredLadder.Rung r : ladder.rungs()) {
            if (r.target() > 1 && noneFps * r.target() <= ax.x1()) {
                int x = ax.x(noneFps * r.target());
                g.drawLine(x, ax.y(ax.y0()), x, ax.y(ax.y1()));
                g.drawString(String.format(Locale.ROOT, "%.2gx", r.target()), x + 2, ax.y(ax.y1()) + 12);
            }
        }
        g.setStroke(new BasicStroke(1));
    }

    private static void frontier(Graphics2D g, Axes ax, List<MeasuredLadder.Candidate> cs) {
        List<MeasuredLadder.Candidate> front = new ArrayList<>(
                cs.stream().filter(MeasuredLadder.Candidate::pareto).toList());
        front.sort(Comparator.comparingDouble(MeasuredLadder.Candidate::framesPerSecond));
        g.setColor(new Color(200, 200, 200));
        g.setStroke(new BasicStroke(2));
        for (int i = 1; i < front.size(); i++) {
            g.drawLine(
                    ax.x(front.get(i - 1).framesPerSecond()),
                    ax.y(front.get(i - 1).quality()),
                    ax.x(front.get(i).framesPerSecond()),
                    ax.y(front.get(i).quality()));
        }
        g.setStroke(new BasicStroke(1));
    }

    private static Map<String, Color> points(Graphics2D g, Axes ax, List<MeasuredLadder.Candidate> cs) {
        Map<String, Color> colours = new LinkedHashMap<>();
        for (MeasuredLadder.Candidate c : cs) {
            Color colour = colours.computeIfAbsent(c.family(), f -> PALETTE[colours.size() % PALETTE.length]);
            g.setColor(colour);
            int x = ax.x(c.framesPerSecond());
            int y = ax.y(c.quality());
            if (c.pareto()) {
                g.fillOval(x - 4, y - 4, 9, 9);
            } else {
                g.drawOval(x - 4, y - 4, 8, 8);
            }
        }
        return colours;
    }

    private static void rungs(Graphics2D g, Axes ax, MeasuredLadder ladder) {
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(2));
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        Map<String, List<Integer>> byLevel = new LinkedHashMap<>();
        for (int i = 0; i < ladder.rungs().size(); i++) {
            MeasuredLadder.Rung r = ladder.rungs().get(i);
            if (r.reachable()) {
                byLevel.computeIfAbsent(r.level(), k -> new ArrayList<>()).add(i);
            }
        }
        int k = 0;
        for (Map.Entry<String, List<Integer>> e : byLevel.entrySet()) {
            MeasuredLadder.Candidate c = ladder.candidates().stream()
                    .filter(x -> x.level().equals(e.getKey()))
                    .findFirst()
                    .orElseThrow();
            int x = ax.x(c.framesPerSecond());
            int y = ax.y(c.quality());
            g.drawOval(x - 9, y - 9, 18, 18);
            String which = e.getValue().stream().map(String::valueOf).collect(Collectors.joining(","));
            g.drawString(
                    (e.getValue().size() > 1 ? "rungs " : "rung ") + which + ": " + e.getKey(),
                    x + 11,
                    y - 8 - 14 * (k++ % 3));
        }
        g.setStroke(new BasicStroke(1));
    }

    private static void legend(Graphics2D g, Map<String, Color> colours) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int y = TOP + 10;
        int x = WIDTH - RIGHT + 30;
        for (Map.Entry<String, Color> e : colours.entrySet()) {
            g.setColor(e.getValue());
            g.fillOval(x, y - 9, 9, 9);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), x + 16, y);
            y += 20;
        }
        g.drawString("filled: Pareto frontier", x, y + 10);
        g.drawString("circled: chosen rungs", x, y + 28);
        g.drawString("dashed: target speed-ups", x, y + 46);
    }
}
