package org.tocomstream.compensate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitForward;
import org.tocomstream.model.train.TrainingData;

/**
 * The objective {@link TocomTrainer} minimises and the KL figures it measures: each step's pair,
 * the trainable side branch for it, KL(teacher ‖ student) at τ = 1, and the plain or compensated
 * KL of pairs over a data set. Pure functions of their arguments.
 */
final class Distillation {

    /** Images per forward pass when measuring (no gradient). */
    private static final int EVAL_BATCH = 64;

    private Distillation() {}

    /**
     * The step's pair: r_src and r_tgt independent and uniform on 0..maxDegree, r_tgt redrawn
     * until it differs; a function of (seed, step) only, so a resumed run draws the same pairs.
     */
    static CompensatorPair drawPair(long seed, long step, int maxDegree) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
        int src = rnd.nextInt(maxDegree + 1);
        int tgt;
        do {
            tgt = rnd.nextInt(maxDegree + 1);
        } while (tgt == src);
        return new CompensatorPair(src, tgt);
    }

    /**
     * The trainable side branch for a pair: the full (R, D) and (D, R) parameters with
     * coef = s·(M(n) − M(m)) in {@code batch}, so the gradient reaches the chunks of m+1..n.
     */
    static SideBranchAdapter trainingAdapter(
            NDArray[][] down, NDArray[][] up, CompensatorPair pair, CompensatorConfig config, NDManager batch) {
        float[] diff = config.maskDifference(pair);
        for (int c = 0; c < diff.length; c++) {
            diff[c] = (float) (diff[c] * config.defaultScale());
        }
        NDArray coef = batch.create(diff);
        return new SideBranchAdapter(down[0], up[0], down[1], up[1], coef);
    }

    /**
     * KL(teacher ‖ student) at τ = 1, averaged over the batch: the student is the base at
     * r_tgt = {@code pair.to()} (a degree of {@code degrees}) with {@code adapter} applied.
     *
     * @param teacher (B, classes) logits of the base at r_src
     */
    static NDArray distillationLoss(
            VitForward forward,
            NDArray x,
            NDArray teacher,
            DegreeSchedule degrees,
            CompensatorPair pair,
            SideBranchAdapter adapter) {
        return distillationLoss(forward, x, teacher, DegreeAxis.of(degrees), pair, adapter);
    }

    /** As above for a plugin over any {@link DegreeAxis} (a schedule or a level list). */
    static NDArray distillationLoss(
            VitForward forward,
            NDArray x,
            NDArray teacher,
            DegreeAxis degrees,
            CompensatorPair pair,
            SideBranchAdapter adapter) {
        NDArray student =
                forward.forward(x, ForwardContext.at(degrees.level(pair.to())).withAdapter(adapter));
        return kl(teacher, student);
    }

    /** Batch mean of Σ_c p_t (log p_t − log p_s) for (B, classes) logits. */
    static NDArray kl(NDArray teacherLogits, NDArray studentLogits) {
        NDArray logPt = teacherLogits.logSoftmax(1);
        NDArray logPs = studentLogits.logSoftmax(1);
        return logPt.exp().mul(logPt.sub(logPs)).sum(new int[] {1}).mean();
    }

    /**
     * KL(base at m ‖ base at n) without the plugin for every pair of degrees 0..maxDegree, over the
     * first {@value TocomTrainer#WEIGHT_IMAGES} images of {@code data} (one forward pass per
     * degree).
     */
    static double[][] plainKlTable(VitForward forward, CompensatorConfig config, TrainingData data, NDManager root) {
        int degrees = config.maxDegree() + 1;
        int count = Math.min(TocomTrainer.WEIGHT_IMAGES, data.size());
        double[][] sum = new double[degrees][degrees];
        for (int start = 0; start < count; start += EVAL_BATCH) {
            int n = Math.min(EVAL_BATCH, count - start);
            try (NDManager batch = root.newSubManager()) {
                NDArray x = images(forward.config(), data, start, n, batch);
                NDArray[] logits = new NDArray[degrees];
                for (int r = 0; r < degrees; r++) {
                    logits[r] = forward.forward(x, config.axis().level(r));
                }
                for (int m = 0; m < degrees; m++) {
                    for (int r = 0; r < degrees; r++) {
                        if (m != r) {
                            sum[m][r] += kl(logits[m], logits[r]).getFloat() * n;
                        }
                    }
                }
            }
        }
        for (double[] row : sum) {
            for (int r = 0; r < row.length; r++) {
                row[r] /= count;
            }
        }
        return sum;
    }

    /**
     * Loss weights from a plain KL table: 1 / (KL(m ‖ n) + floor) for m ≠ n, scaled to mean 1 over
     * those pairs (0 on the diagonal, which is never drawn).
     */
    static double[][] pairWeights(double[][] plainKl, double floor) {
        int degrees = plainKl.length;
        double[][] w = new double[degrees][degrees];
        double total = 0;
        for (int m = 0; m < degrees; m++) {
            for (int n = 0; n < degrees; n++) {
                if (m != n) {
                    w[m][n] = 1 / (Math.max(0, plainKl[m][n]) + floor);
                    total += w[m][n];
                }
            }
        }
        double mean = total / (degrees * (degrees - 1));
        for (double[] row : w) {
            for (int n = 0; n < degrees; n++) {
                row[n] /= mean;
            }
        }
        return w;
    }

    /**
     * Mean over {@code pairs} and images of KL(base at m ‖ base at n [+ plugin]); without {@code
     * down} the plain compressed model.
     */
    static double heldOutKl(
            VitForward forward,
            NDArray[][] down,
            NDArray[][] up,
            CompensatorConfig config,
            TrainingData data,
            List<CompensatorPair> pairs,
            NDManager root) {
        double sum = 0;
        for (int start = 0; start < data.size(); start += EVAL_BATCH) {
            int n = Math.min(EVAL_BATCH, data.size() - start);
            try (NDManager batch = root.newSubManager()) {
                NDArray x = images(forward.config(), data, start, n, batch);
                Map<Integer, NDArray> plain = new HashMap<>();
                for (CompensatorPair p : pairs) {
                    NDArray teacher = plain.computeIfAbsent(
                            p.from(), r -> forward.forward(x, config.axis().level(r)));
                    NDArray student = down == null
                            ? plain.computeIfAbsent(
                                    p.to(),
                                    r -> forward.forward(x, config.axis().level(r)))
                            : forward.forward(
                                    x,
                                    ForwardContext.at(config.axis().level(p.to()))
                                            .withAdapter(trainingAdapter(down, up, p, config, batch)));
                    sum += kl(teacher, student).getFloat() * n;
                }
            }
        }
        return sum / ((double) data.size() * pairs.size());
    }

    /** Images {@code start .. start+n-1} of {@code data} as one (n, C, H, W) array in {@code manager}. */
    static NDArray images(VitConfig cfg, TrainingData data, int start, int n, NDManager manager) {
        int perImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        float[] pixels = new float[n * perImage];
        for (int i = 0; i < n; i++) {
            System.arraycopy(data.get(start + i, null).pixels(), 0, pixels, i * perImage, perImage);
        }
        return manager.create(
                FloatBuffer.wrap(pixels), new Shape(n, cfg.inChannels(), cfg.imageSize(), cfg.imageSize()));
    }
}
