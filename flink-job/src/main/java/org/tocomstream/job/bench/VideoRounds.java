package org.tocomstream.job.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ReuseResult;
import org.tocomstream.model.ReuseState;
import org.tocomstream.model.VitModel;

/**
 * The timed part of {@code bench --video}: every level over the same T batches, interleaved as the
 * image bench does, so that drifts of a shared machine hit every level alike: batch t of every level
 * in turn, then batch t + 1. Each reuse level keeps its own cache per camera (made before batch 0,
 * closed after the last batch), so all its caches are alive at once: B × (reuse levels) ×
 * {@link ReuseState#bytes}. Before the rounds each level runs {@code warmup} batches untimed (a
 * reuse level one more first, the full batch that fills its caches, thrown away after).
 */
final class VideoRounds {

    /** One level's run over all batches: ms per batch, and per frame (batch-major) the outcome. */
    record Measured(double[] ms, float[][] logits, int[] top1, int[] recomputed, boolean[] reused) {}

    private VideoRounds() {}

    /** Measures {@code levels} (in order) on {@code cams}; one result per level. */
    static List<Measured> measure(
            VitModel model,
            VideoCameras cams,
            List<CompressionLevel> levels,
            int warmup,
            double sceneCut,
            PrintStream err) {
        int b = cams.streams();
        int t = cams.batches();
        long[] shape = {
            b,
            model.config().inChannels(),
            model.config().imageSize(),
            model.config().imageSize()
        };
        int w = Math.min(warmup, t);
        for (CompressionLevel level : levels) {
            // A reuse level's first warm-up batch fills the caches: then w batches that reuse.
            int n = level.isReuse() && w > 0 ? Math.min(t, w + 1) : w;
            try (Run run = new Run(model, level, b, n, sceneCut)) {
                for (int i = 0; i < n; i++) {
                    run.batch(i, cams.batch(i), shape);
                }
            }
        }
        List<Run> runs = new ArrayList<>();
        try {
            for (CompressionLevel level : levels) {
                runs.add(new Run(model, level, b, t, sceneCut));
            }
            long started = System.nanoTime();
            int every = Math.max(1, t / 10);
            for (int i = 0; i < t; i++) {
                float[] pixels = cams.batch(i);
                for (Run run : runs) {
                    run.batch(i, pixels, shape);
                }
                if ((i + 1) % every == 0 || i + 1 == t) {
                    double elapsed = (System.nanoTime() - started) / 1e9;
                    err.printf(
                            Locale.ROOT,
                            "bench: batch %d/%d of every level, elapsed %.0f s, ETA %.0f s%n",
                            i + 1,
                            t,
                            elapsed,
                            elapsed / (i + 1) * (t - i - 1));
                }
            }
            return runs.stream().map(Run::measured).toList();
        } finally {
            runs.forEach(Run::close);
        }
    }

    /** One level's caches and records over a run of batches. */
    private static final class Run implements AutoCloseable {
        private final VitModel model;
        private final CompressionLevel level;
        private final double sceneCut;
        private final int b;
        private final ReuseState[] states;
        private final Measured m;

        Run(VitModel model, CompressionLevel level, int b, int batches, double sceneCut) {
            this.model = model;
            this.level = level;
            this.sceneCut = sceneCut;
            this.b = b;
            this.m = new Measured(
                    new double[batches],
                    new float[b * batches][],
                    new int[b * batches],
                    new int[b * batches],
                    new boolean[b * batches]);
            this.states = level.isReuse() ? new ReuseState[b] : null;
            for (int i = 0; states != null && i < b; i++) {
                states[i] = model.newReuseState();
            }
        }

        void batch(int i, float[] pixels, long[] shape) {
            long t0 = System.nanoTime();
            ReuseResult r = states != null
                    ? model.logitsReusing(pixels, shape, level, states, sceneCut)
                    : new ReuseResult(model.logits(pixels, shape, level), null, null);
            m.ms()[i] = (System.nanoTime() - t0) / 1e6;
            int patches = model.config().numPatches();
            for (int j = 0; j < b; j++) {
                int f = i * b + j;
                m.logits()[f] = r.logits()[j];
                m.top1()[f] = argmax(r.logits()[j]);
                m.recomputed()[f] = r.recomputed() == null ? patches : r.recomputed()[j];
                m.reused()[f] = r.reused() != null && r.reused()[j];
            }
        }

        Measured measured() {
            return m;
        }

        @Override
        public void close() {
            if (states != null) {
                for (ReuseState st : states) {
                    if (st != null) {
                        st.close();
                    }
                }
            }
        }
    }

    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }
}
