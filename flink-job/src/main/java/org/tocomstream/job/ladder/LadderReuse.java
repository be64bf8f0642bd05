package org.tocomstream.job.ladder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.model.ReuseCache;
import org.tocomstream.model.ReuseCacheConfig;
import org.tocomstream.model.ReuseResult;
import org.tocomstream.model.ReuseState;
import org.tocomstream.model.VitModel;

/**
 * Token-reuse levels ({@code reuse:F}, {@code src/docs/reuse.md}) as {@code ladder} candidates,
 * measured on camera sequences as the job runs them:
 *
 * <ul>
 *   <li>{@link #candidates}: for each target speed-up s and strength f of {@link
 *       LadderCandidates#STRENGTHS} and {@link #DEEPER}, the fraction on a grid of {@link #GRID}
 *       whose steady-state MACs ({@link CostModel}) are closest to 1/(s·f) of the uncompressed
 *       model's, so reuse spans the speed-ups the compression candidates span;
 *   <li>{@link #batches}: the frames in camera order: batch r holds the r-th frame of each camera
 *       (groups of at most the batch size when there are more cameras), so a forward pass never
 *       holds two frames of one camera and each frame runs on the state its predecessor left;
 *   <li>{@link Run}: one level's per-camera cache ({@link ReuseCache}, the job's own, with its
 *       defaults: the first frame of a camera, a gap in its sequence numbers, a scene cut and every
 *       {@code refresh-frames}-th frame are computed in full, and counted).
 * </ul>
 */
final class LadderReuse {

    /** Steps of the fractions offered: 0.05, 0.10, …, 1.00 of the patch tokens. */
    static final double GRID = 0.05;

    /**
     * A strength beyond {@link LadderCandidates#STRENGTHS}, for reuse only: the work a reuse level
     * does besides its MACs (the gates, the top-k, gathering the chosen tokens and writing them
     * back, per block) does not shrink with k, so its speed-up falls further below its MACs ratio
     * than a compressor's does (on vtest.avi at 128 px, reuse:0.1 costs 0.13 of the MACs and runs
     * 2.5x); without it the deepest candidate for a 3x target would run about 1.6x.
     */
    static final double DEEPER = 2.5;

    /** Where {@code ladder} finds camera sequences, for the notes and errors. */
    static final String SOURCES = "--generator --cameras N, --topic T or --video FILE";

    /**
     * What {@code --reuse} asked for: {@code off}; {@code auto} (the default: the levels of {@link
     * #candidates} when the frames are camera sequences, none otherwise); or the fractions given,
     * which need camera sequences.
     */
    record Choice(boolean off, List<Double> fractions) {

        static final Choice AUTO = new Choice(false, List.of());

        boolean explicit() {
            return !fractions.isEmpty();
        }

        /** The reuse levels to measure (none when off). */
        List<CompressionLevel> levels(CostModel cost, List<Double> speedups) {
            if (off) {
                return List.of();
            }
            return explicit() ? fractions.stream().map(CompressionLevel::reuse).toList() : candidates(cost, speedups);
        }
    }

    /**
     * {@code option}: {@code auto}, {@code off} or fractions in (0, 1]; fractions with frames that
     * are not camera sequences ({@code sequences} false) are refused naming the option.
     */
    static Choice parse(ParsedArgs args, String option, boolean sequences) throws UsageException {
        String text = args.string(option).orElse("auto").trim();
        if (text.equalsIgnoreCase("auto")) {
            return Choice.AUTO;
        }
        if (text.equalsIgnoreCase("off")) {
            return new Choice(true, List.of());
        }
        List<Double> fractions =
                args.numberList(option, List.of(), true, d -> d > 0 && d <= 1, "auto, off or fractions in (0, 1]");
        if (!sequences) {
            throw args.error(
                    option, "token reuse is measured on camera sequences (" + SOURCES + "); these frames are not");
        }
        return new Choice(false, fractions);
    }

    private LadderReuse() {}

    /** The reuse levels for {@code speedups}, each once, most expensive first. */
    static List<CompressionLevel> candidates(CostModel cost, List<Double> speedups) {
        double dense = cost.macs(CompressionLevel.none());
        int steps = (int) Math.round(1 / GRID);
        List<Integer> chosen = new ArrayList<>();
        double[] strengths = Arrays.copyOf(LadderCandidates.STRENGTHS, LadderCandidates.STRENGTHS.length + 1);
        strengths[strengths.length - 1] = DEEPER;
        for (double s : speedups) {
            for (double strength : strengths) {
                double target = 1 / (s * strength);
                int best = 1;
                for (int i = 1; i <= steps; i++) {
                    if (Math.abs(cost.macs(level(i)) / dense - target)
                            < Math.abs(cost.macs(level(best)) / dense - target)) {
                        best = i;
                    }
                }
                if (!chosen.contains(best)) {
                    chosen.add(best);
                }
            }
        }
        return chosen.stream().sorted((a, b) -> b - a).map(LadderReuse::level).toList();
    }

    /** The level {@code reuse:F} at grid point {@code step} (F = step x {@link #GRID}). */
    static CompressionLevel level(int step) {
        return CompressionLevel.reuse(Math.round(step * GRID * 100) / 100.0);
    }

    /**
     * The indices of the first {@code count} frames in camera order: batch r holds the r-th frame
     * of each camera (cameras in order of first appearance), split into groups of at most {@code
     * batch}.
     */
    static List<int[]> batches(LadderFrames frames, int count, int batch) {
        Map<String, List<Integer>> byCamera = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            byCamera.computeIfAbsent(frames.streams()[i], c -> new ArrayList<>())
                    .add(i);
        }
        int rounds = byCamera.values().stream().mapToInt(List::size).max().orElse(0);
        List<int[]> out = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            List<Integer> round = new ArrayList<>();
            for (List<Integer> camera : byCamera.values()) {
                if (r < camera.size()) {
                    round.add(camera.get(r));
                }
            }
            for (int first = 0; first < round.size(); first += batch) {
                out.add(round.subList(first, Math.min(round.size(), first + batch)).stream()
                        .mapToInt(Integer::intValue)
                        .toArray());
            }
        }
        return out;
    }

    /** The cameras of {@code frames} among the first {@code count}. */
    static int cameras(LadderFrames frames, int count) {
        return (int) Arrays.stream(frames.streams(), 0, count).distinct().count();
    }

    /** One reuse level run over camera-ordered batches with the job's per-camera cache. */
    static final class Run implements AutoCloseable {
        private final VitModel model;
        private final CompressionLevel level;
        private final LadderFrames frames;
        private final ReuseCache cache;
        private long full;
        private long total;

        Run(VitModel model, CompressionLevel level, LadderFrames frames, int cameras) {
            this.model = model;
            this.level = level;
            this.frames = frames;
            ReuseCacheConfig d = ReuseCacheConfig.DEFAULTS;
            this.cache = new ReuseCache(
                    new ReuseCacheConfig(Math.max(d.maxStreams(), cameras), d.refreshFrames(), d.sceneCut()),
                    model::newReuseState);
        }

        /** The logits of one camera-ordered batch ({@link #batches}), its pixels preprocessed. */
        float[][] forward(int[] batch, float[] pixels, long[] shape) {
            List<String> streams = new ArrayList<>(batch.length);
            long[] seqs = new long[batch.length];
            for (int j = 0; j < batch.length; j++) {
                streams.add(frames.streams()[batch[j]]);
                seqs[j] = frames.seqs()[batch[j]];
            }
            ReuseCache.Reservation reservation = cache.reserve(streams, seqs, null, true);
            try {
                List<int[]> rounds = reservation.rounds();
                if (rounds.size() != 1) {
                    throw new IllegalStateException("a camera-ordered batch holds one frame per camera");
                }
                ReuseState[] states = reservation.prepare(rounds.get(0));
                ReuseResult r = model.logitsReusing(
                        pixels, shape, level, states, cache.config().sceneCut());
                for (boolean reused : r.reused()) {
                    total++;
                    full += reused ? 0 : 1;
                }
                return r.logits();
            } catch (RuntimeException e) {
                throw new IllegalStateException("forward pass failed at level " + level + ": " + e.getMessage(), e);
            } finally {
                reservation.release();
            }
        }

        /** One line: how many frames were computed in full. */
        String summary() {
            return String.format(
                    Locale.ROOT,
                    "%s computed %d of %d frames in full (first frame of each camera, scene cuts, refreshes)",
                    level,
                    full,
                    total);
        }

        @Override
        public void close() {
            cache.close();
        }
    }
}
