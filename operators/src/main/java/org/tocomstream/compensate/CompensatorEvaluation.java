package org.tocomstream.compensate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.QvAdapter;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;
import org.tocomstream.model.train.TrainingData;

/**
 * Measures a bound Token Compensator over a grid of (m, n) pairs through the serving forward pass
 * ({@link VitModel#logits(float[], long[], ForwardContext)}): for each pair, the
 * KL divergence from the model at degree m to the model at degree n, without and with the
 * plugin's Δ(m→n), and the top-1 accuracy of all three. Each image is run once per degree and
 * once per pair with the plugin.
 *
 * <pre>{@code
 * List<CompensatorEvaluation.Cell> cells = CompensatorEvaluation.run(model, tocom, testData,
 *         CompensatorEvaluation.allPairs(4), 0.1, 64, System.err::println);
 * }</pre>
 */
public final class CompensatorEvaluation {

    private CompensatorEvaluation() {}

    /**
     * One pair's numbers, means over the images.
     *
     * @param pair (m → n)
     * @param klPlain KL(model at m ‖ model at n), nats per image
     * @param klCompensated KL(model at m ‖ model at n + Δ(m→n))
     * @param accuracyAtM top-1 of the model at m (the reference), NaN for unlabelled data
     * @param accuracyPlain top-1 at n without the plugin, NaN for unlabelled data
     * @param accuracyCompensated top-1 at n with the plugin, NaN for unlabelled data
     * @param images images evaluated
     */
    public record Cell(
            CompensatorPair pair,
            double klPlain,
            double klCompensated,
            double accuracyAtM,
            double accuracyPlain,
            double accuracyCompensated,
            int images) {}

    /** Receives every image's outcome for every pair, in image order, pair by pair. */
    @FunctionalInterface
    public interface PerImage {
        /**
         * @param pairIndex index into the grid
         * @param image index into the data
         * @param correctPlain top-1 right at n without the plugin (false for unlabelled data)
         * @param correctCompensated top-1 right at n with the plugin (false for unlabelled data)
         */
        void accept(int pairIndex, int image, boolean correctPlain, boolean correctCompensated);
    }

    /** Every pair (m, n) with m, n in 0..maxDegree, m-major, including m = n. */
    public static List<CompensatorPair> allPairs(int maxDegree) {
        List<CompensatorPair> out = new ArrayList<>();
        for (int m = 0; m <= maxDegree; m++) {
            for (int n = 0; n <= maxDegree; n++) {
                out.add(new CompensatorPair(m, n));
            }
        }
        return out;
    }

    /**
     * Evaluates {@code grid} on {@code data}.
     *
     * @param tocom the plugin bound to {@code model}; its mode is used, and its calibration's factor
     *     per pair when it was bound with one ({@link BoundCompensator#scale})
     * @param scale s
     * @param batchSize images per forward pass
     * @param progress receives a line about every tenth of the data
     * @throws IllegalArgumentException when a pair is outside the plugin's range
     */
    public static List<Cell> run(
            VitModel model,
            BoundCompensator tocom,
            TrainingData data,
            List<CompensatorPair> grid,
            double scale,
            int batchSize,
            Consumer<String> progress) {
        return run(model, tocom, data, grid, scale, batchSize, progress, null);
    }

    /**
     * As {@link #run(VitModel, BoundCompensator, TrainingData, List, double, int, Consumer)}, and
     * hands each image's outcome per pair to {@code outcomes} (for paired statistics such as a
     * bootstrap over the images), when it is not null.
     */
    public static List<Cell> run(
            VitModel model,
            BoundCompensator tocom,
            TrainingData data,
            List<CompensatorPair> grid,
            double scale,
            int batchSize,
            Consumer<String> progress,
            PerImage outcomes) {
        Objects.requireNonNull(tocom, "compensator");
        for (CompensatorPair p : grid) {
            tocom.plugin().checkPair(p);
        }
        DegreeAxis degrees = tocom.plugin().config().axis();
        LinkedHashSet<Integer> used = new LinkedHashSet<>();
        for (CompensatorPair p : grid) {
            used.add(p.from());
            used.add(p.to());
        }
        VitConfig cfg = model.config();
        int perImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        int classes = cfg.numClasses();
        double[][] sums = new double[grid.size()][5]; // klPlain, klComp, correct m, plain, comp
        boolean labelled = true;
        int reportEvery = Math.max(batchSize, data.size() / 10);
        int nextReport = reportEvery;
        long start = System.nanoTime();
        for (int first = 0; first < data.size(); first += batchSize) {
            int n = Math.min(batchSize, data.size() - first);
            float[] pixels = new float[n * perImage];
            int[] labels = new int[n];
            for (int i = 0; i < n; i++) {
                TrainingData.Example ex = data.get(first + i, null);
                System.arraycopy(ex.pixels(), 0, pixels, i * perImage, perImage);
                labels[i] = ex.label();
                labelled &= ex.label() >= 0;
            }
            long[] shape = {n, cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
            Map<Integer, double[][]> logProbs = new LinkedHashMap<>();
            for (int r : used) {
                logProbs.put(r, logSoftmax(model.logits(pixels, shape, degrees.level(r)), classes));
            }
            for (int g = 0; g < grid.size(); g++) {
                CompensatorPair pair = grid.get(g);
                double[][] teacher = logProbs.get(pair.from());
                double[][] plain = logProbs.get(pair.to());
                QvAdapter adapter = tocom.adapter(pair, tocom.mode(), tocom.scale(pair, scale));
                double[][] comp = adapter == null
                        ? plain
                        : logSoftmax(
                                model.logits(
                                        pixels,
                                        shape,
                                        ForwardContext.at(degrees.level(pair.to()))
                                                .withAdapter(adapter)),
                                classes);
                for (int i = 0; i < n; i++) {
                    sums[g][0] += kl(teacher[i], plain[i]);
                    sums[g][1] += kl(teacher[i], comp[i]);
                    sums[g][2] += argMax(teacher[i]) == labels[i] ? 1 : 0;
                    boolean rightPlain = argMax(plain[i]) == labels[i];
                    boolean rightComp = argMax(comp[i]) == labels[i];
                    sums[g][3] += rightPlain ? 1 : 0;
                    sums[g][4] += rightComp ? 1 : 0;
                    if (outcomes != null) {
                        outcomes.accept(g, first + i, rightPlain, rightComp);
                    }
                }
            }
            int done = first + n;
            if (done >= nextReport || done == data.size()) {
                double sec = (System.nanoTime() - start) / 1e9;
                progress.accept(String.format(
                        java.util.Locale.ROOT,
                        "%d/%d images at %d pairs, %.1f s, ETA %.0f s",
                        done,
                        data.size(),
                        grid.size(),
                        sec,
                        sec / done * (data.size() - done)));
                nextReport = done + reportEvery;
            }
        }
        return cells(grid, sums, labelled, data.size());
    }

    /** The grid's cells from per-pair sums over {@code total} images; accuracies NaN unlabelled. */
    private static List<Cell> cells(List<CompensatorPair> grid, double[][] sums, boolean labelled, int total) {
        List<Cell> cells = new ArrayList<>();
        for (int g = 0; g < grid.size(); g++) {
            double[] s = sums[g];
            cells.add(new Cell(
                    grid.get(g),
                    s[0] / total,
                    s[1] / total,
                    labelled ? s[2] / total : Double.NaN,
                    labelled ? s[3] / total : Double.NaN,
                    labelled ? s[4] / total : Double.NaN,
                    total));
        }
        return cells;
    }

    /** Σ_c p(c)·(log p(c) − log q(c)) from log-probabilities. */
    static double kl(double[] logP, double[] logQ) {
        double sum = 0;
        for (int c = 0; c < logP.length; c++) {
            sum += Math.exp(logP[c]) * (logP[c] - logQ[c]);
        }
        return Math.max(0, sum);
    }

    private static double[][] logSoftmax(float[][] logits, int classes) {
        double[][] out = new double[logits.length][classes];
        for (int i = 0; i < logits.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (float z : logits[i]) {
                max = Math.max(max, z);
            }
            double sum = 0;
            for (float z : logits[i]) {
                sum += Math.exp(z - max);
            }
            double log = Math.log(sum);
            for (int c = 0; c < classes; c++) {
                out[i][c] = logits[i][c] - max - log;
            }
        }
        return out;
    }

    private static int argMax(double[] row) {
        int best = 0;
        for (int c = 1; c < row.length; c++) {
            if (row[c] > row[best]) {
                best = c;
            }
        }
        return best;
    }
}
