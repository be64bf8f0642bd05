package org.tocomstream.job.ladder;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ImageDecodeException;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;

/**
 * The two measurements of {@code ladder}, per candidate level ({@code levels.get(0)} is {@code
 * none}, the reference):
 *
 * <ul>
 *   <li>{@link #quality}: each batch decoded once and run at every level; top-1 against the labels
 *       when there are labels, and always agreement with {@code none}'s top-1 and the mean KL(none
 *       || level) of the softmax outputs;
 *   <li>{@link #speed}: end-to-end frames/s of the job's path per level (decode and preprocess the
 *       encoded bytes with the decode stage's {@link ImagePreprocessor}, then the forward pass at the
 *       deployment batch size), over the same timing frames, in interleaved rounds (every level,
 *       {@code none} included, once per round, the starting level rotating), after one warm-up
 *       round; the median round per level.
 * </ul>
 */
final class LadderMeasurement {

    /** Per level: top-1 (null without labels), agreement with none, mean KL(none || level). */
    record Quality(double[] top1, double[] agreement, double[] kl) {}

    private final VitModel model;
    private final ImagePreprocessor pre;
    private final int batch;
    private final PrintStream err;

    LadderMeasurement(VitModel model, ImagePreprocessor pre, int batch, PrintStream err) {
        this.model = model;
        this.pre = pre;
        this.batch = batch;
        this.err = err;
    }

    Quality quality(LadderFrames frames, List<CompressionLevel> levels) throws ImageDecodeException {
        int n = frames.size();
        long[] correct = new long[levels.size()];
        long[] agree = new long[levels.size()];
        double[] klSum = new double[levels.size()];
        long start = System.nanoTime();
        long nextReport = start + 5_000_000_000L;
        for (int first = 0; first < n; first += batch) {
            int count = Math.min(batch, n - first);
            float[] pixels = decode(frames.encoded(), first, count);
            double[][] reference = null;
            int[] referenceTop = null;
            for (int l = 0; l < levels.size(); l++) {
                float[][] logits = forward(pixels, count, levels.get(l));
                for (int i = 0; i < count; i++) {
                    double[] p = softmax(logits[i]);
                    int top = argMax(p);
                    if (l == 0) {
                        if (reference == null) {
                            reference = new double[count][];
                            referenceTop = new int[count];
                        }
                        reference[i] = p;
                        referenceTop[i] = top;
                    }
                    if (frames.labelled() && top == frames.labels()[first + i]) {
                        correct[l]++;
                    }
                    if (top == referenceTop[i]) {
                        agree[l]++;
                    }
                    klSum[l] += kl(reference[i], p);
                }
            }
            long now = System.nanoTime();
            int done = first + count;
            if (now >= nextReport || done == n) {
                double sec = (now - start) / 1e9;
                err.printf(
                        Locale.ROOT,
                        "ladder: quality %d/%d frames at %d levels, %.1f s, ETA %.0f s%n",
                        done,
                        n,
                        levels.size(),
                        sec,
                        sec / done * (n - done));
                nextReport = now + 5_000_000_000L;
            }
        }
        double[] top1 = frames.labelled() ? new double[levels.size()] : null;
        double[] agreement = new double[levels.size()];
        double[] meanKl = new double[levels.size()];
        for (int l = 0; l < levels.size(); l++) {
            if (top1 != null) {
                top1[l] = (double) correct[l] / n;
            }
            agreement[l] = (double) agree[l] / n;
            meanKl[l] = Math.max(0, klSum[l] / n);
        }
        return new Quality(top1, agreement, meanKl);
    }

    /** Median frames/s per level over {@code rounds} timed rounds on the first {@code timing} frames. */
    double[] speed(LadderFrames frames, List<CompressionLevel> levels, int timing, int rounds)
            throws ImageDecodeException {
        int n = Math.min(timing, frames.size());
        double[][] fps = new double[levels.size()][rounds];
        long start = System.nanoTime();
        for (int round = -1; round < rounds; round++) {
            for (int k = 0; k < levels.size(); k++) {
                int l = Math.floorMod(k + round, levels.size());
                long t0 = System.nanoTime();
                for (int first = 0; first < n; first += batch) {
                    int count = Math.min(batch, n - first);
                    forward(decode(frames.encoded(), first, count), count, levels.get(l));
                }
                if (round >= 0) {
                    fps[l][round] = n / ((System.nanoTime() - t0) / 1e9);
                }
            }
            err.printf(
                    Locale.ROOT,
                    "ladder: speed %s %d frames x %d levels, %.1f s%n",
                    round < 0 ? "warm-up round," : String.format(Locale.ROOT, "round %d/%d,", round + 1, rounds),
                    n,
                    levels.size(),
                    (System.nanoTime() - start) / 1e9);
        }
        double[] out = new double[levels.size()];
        for (int l = 0; l < levels.size(); l++) {
            out[l] = median(fps[l]);
        }
        return out;
    }

    private float[] decode(List<byte[]> encoded, int first, int count) throws ImageDecodeException {
        VitConfig cfg = model.config();
        int perImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        float[] pixels = new float[count * perImage];
        for (int i = 0; i < count; i++) {
            System.arraycopy(pre.preprocess(encoded.get(first + i)), 0, pixels, i * perImage, perImage);
        }
        return pixels;
    }

    private float[][] forward(float[] pixels, int count, CompressionLevel level) {
        VitConfig cfg = model.config();
        long[] shape = {count, cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
        try {
            return model.logits(pixels, shape, level);
        } catch (RuntimeException e) {
            throw new IllegalStateException("forward pass failed at level " + level + ": " + e.getMessage(), e);
        }
    }

    static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** KL(p || q) in nats; terms where p is 0 contribute nothing, q is floored to avoid infinity. */
    static double kl(double[] p, double[] q) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                sum += p[i] * Math.log(p[i] / Math.max(q[i], 1e-12));
            }
        }
        return sum;
    }

    private static int argMax(double[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }
}
