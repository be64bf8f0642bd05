package org.tocomstream.job.ladder;

import java.io.PrintStream;
import java.util.ArrayList;
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
 *
 * Token-reuse levels ({@link LadderReuse}) run the frames in camera order instead, one frame per
 * camera per forward pass, each level with the job's per-camera cache (quality: one cache per level
 * over all frames; speed: a fresh cache per round, filled by each camera's first frame untimed,
 * then {@code --timing-frames} frames timed), and are compared with {@code none} on the same
 * frame.
 *
 * <p>The {@link CompressionLevel#student() student} level is an ordinary per-frame level whose
 * forward pass runs the student model uncompressed on the same preprocessed pixels.
 */
final class LadderMeasurement {

    /** Per level: top-1 (null without labels), agreement with none, mean KL(none || level). */
    record Quality(double[] top1, double[] agreement, double[] kl) {}

    private final VitModel model;
    private final VitModel student;
    private final ImagePreprocessor pre;
    private final int batch;
    private final PrintStream err;

    /** @param student the student model that runs the student level, null for none */
    LadderMeasurement(VitModel model, VitModel student, ImagePreprocessor pre, int batch, PrintStream err) {
        this.model = model;
        this.student = student;
        this.pre = pre;
        this.batch = batch;
        this.err = err;
    }

    Quality quality(LadderFrames frames, List<CompressionLevel> levels) throws ImageDecodeException {
        int n = frames.size();
        Tally tally = new Tally(levels.size(), n);
        long start = System.nanoTime();
        long nextReport = start + 5_000_000_000L;
        for (int first = 0; first < n; first += batch) {
            int count = Math.min(batch, n - first);
            float[] pixels = decode(frames.encoded(), indices(first, count));
            for (int l = 0; l < levels.size(); l++) {
                if (!levels.get(l).isReuse()) {
                    float[][] logits = forward(pixels, count, levels.get(l));
                    for (int i = 0; i < count; i++) {
                        tally.add(l, first + i, logits[i], frames);
                    }
                }
            }
            long now = System.nanoTime();
            int done = first + count;
            if (now >= nextReport || done == n) {
                report("quality", done, n, levels.size(), start, now);
                nextReport = now + 5_000_000_000L;
            }
        }
        if (levels.stream().anyMatch(CompressionLevel::isReuse)) {
            reuseQuality(frames, levels, tally);
        }
        return tally.quality(frames.labelled());
    }

    /** The reuse levels' quality: the frames in camera order, each level with its own cache. */
    private void reuseQuality(LadderFrames frames, List<CompressionLevel> levels, Tally tally)
            throws ImageDecodeException {
        int n = frames.size();
        int cameras = LadderReuse.cameras(frames, n);
        List<Integer> reuse = new ArrayList<>();
        List<LadderReuse.Run> runs = new ArrayList<>();
        try {
            for (int l = 0; l < levels.size(); l++) {
                if (levels.get(l).isReuse()) {
                    reuse.add(l);
                    runs.add(new LadderReuse.Run(model, levels.get(l), frames, cameras));
                }
            }
            long start = System.nanoTime();
            long nextReport = start + 5_000_000_000L;
            int done = 0;
            for (int[] b : LadderReuse.batches(frames, n, batch)) {
                float[] pixels = decode(frames.encoded(), b);
                for (int k = 0; k < reuse.size(); k++) {
                    float[][] logits = runs.get(k).forward(b, pixels, shape(b.length));
                    for (int i = 0; i < b.length; i++) {
                        tally.add(reuse.get(k), b[i], logits[i], frames);
                    }
                }
                done += b.length;
                long now = System.nanoTime();
                if (now >= nextReport || done == n) {
                    report("reuse quality", done, n, reuse.size(), start, now);
                    nextReport = now + 5_000_000_000L;
                }
            }
            runs.forEach(r -> err.println("ladder: " + r.summary()));
        } finally {
            runs.forEach(LadderReuse.Run::close);
        }
    }

    private void report(String what, int done, int n, int levels, long start, long now) {
        double sec = (now - start) / 1e9;
        err.printf(
                Locale.ROOT,
                "ladder: %s %d/%d frames at %d levels, %.1f s, ETA %.0f s%n",
                what,
                done,
                n,
                levels,
                sec,
                sec / done * (n - done));
    }

    /**
     * Per level: correct, agreeing and KL sums against {@code none} (level 0, run first on every
     * frame) on the same frame.
     */
    private static final class Tally {
        final long[] correct;
        final long[] agree;
        final double[] klSum;
        final double[][] reference;
        final int[] referenceTop;

        Tally(int levels, int frames) {
            correct = new long[levels];
            agree = new long[levels];
            klSum = new double[levels];
            reference = new double[frames][];
            referenceTop = new int[frames];
        }

        void add(int level, int frame, float[] logits, LadderFrames frames) {
            double[] p = softmax(logits);
            int top = argMax(p);
            if (level == 0) {
                reference[frame] = p;
                referenceTop[frame] = top;
            }
            if (frames.labelled() && top == frames.labels()[frame]) {
                correct[level]++;
            }
            if (top == referenceTop[frame]) {
                agree[level]++;
            }
            klSum[level] += kl(reference[frame], p);
        }

        Quality quality(boolean labelled) {
            int levels = correct.length;
            int n = reference.length;
            double[] top1 = labelled ? new double[levels] : null;
            double[] agreement = new double[levels];
            double[] meanKl = new double[levels];
            for (int l = 0; l < levels; l++) {
                if (top1 != null) {
                    top1[l] = (double) correct[l] / n;
                }
                agreement[l] = (double) agree[l] / n;
                meanKl[l] = Math.max(0, klSum[l] / n);
            }
            return new Quality(top1, agreement, meanKl);
        }
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
                double f;
                if (levels.get(l).isReuse()) {
                    f = timeReuse(frames, levels.get(l), n);
                } else {
                    long t0 = System.nanoTime();
                    for (int first = 0; first < n; first += batch) {
                        int count = Math.min(batch, n - first);
                        forward(decode(frames.encoded(), indices(first, count)), count, levels.get(l));
                    }
                    f = n / ((System.nanoTime() - t0) / 1e9);
                }
                if (round >= 0) {
                    fps[l][round] = f;
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

    /**
     * Frames/s of a reuse level in its steady state, as a running job sees it: every round starts
     * with empty caches, the batches holding each camera's first frame fill them untimed (a job
     * pays that once per camera, not once per {@code n} frames), then the next {@code n} frames in
     * camera-ordered batches are timed, the states carried from batch to batch; the frames among
     * them computed in full (scene cuts, a refresh) are timed as they come.
     */
    private double timeReuse(LadderFrames frames, CompressionLevel level, int n) throws ImageDecodeException {
        int cameras = LadderReuse.cameras(frames, n);
        int count = Math.min(frames.size(), n + cameras);
        try (LadderReuse.Run run = new LadderReuse.Run(model, level, frames, cameras)) {
            List<int[]> batches = LadderReuse.batches(frames, count, batch);
            int priming = (cameras + batch - 1) / batch;
            int timed = 0;
            long t0 = 0;
            for (int i = 0; i < batches.size(); i++) {
                if (i == priming) {
                    t0 = System.nanoTime();
                }
                int[] b = batches.get(i);
                run.forward(b, decode(frames.encoded(), b), shape(b.length));
                timed += i >= priming ? b.length : 0;
            }
            if (timed == 0) {
                throw new IllegalStateException(String.format(
                        Locale.ROOT,
                        "%s: the %d timing frames hold only one frame per camera (%d cameras): nothing left"
                                + " to time after each camera's first frame; raise --timing-frames",
                        level,
                        count,
                        cameras));
            }
            return timed / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static int[] indices(int first, int count) {
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = first + i;
        }
        return out;
    }

    private float[] decode(List<byte[]> encoded, int[] frames) throws ImageDecodeException {
        VitConfig cfg = model.config();
        int perImage = cfg.inChannels() * cfg.imageSize() * cfg.imageSize();
        float[] pixels = new float[frames.length * perImage];
        for (int i = 0; i < frames.length; i++) {
            System.arraycopy(pre.preprocess(encoded.get(frames[i])), 0, pixels, i * perImage, perImage);
        }
        return pixels;
    }

    private long[] shape(int count) {
        VitConfig cfg = model.config();
        return new long[] {count, cfg.inChannels(), cfg.imageSize(), cfg.imageSize()};
    }

    private float[][] forward(float[] pixels, int count, CompressionLevel level) {
        if (level.isStudent() && student == null) {
            throw new IllegalStateException("compression level student needs a student model (--student)");
        }
        try {
            return level.isStudent()
                    ? student.logits(pixels, shape(count), CompressionLevel.none())
                    : model.logits(pixels, shape(count), level);
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
