package org.tocomstream.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ReuseCache;

/**
 * A cut batch, from its cut to its emission: its frames, the plan's level and skip marks, the
 * watermark to emit after it, and, once the model has run it, its result. Created and completed
 * on the task thread; an inference thread reads only {@link #run()} and {@link #level()}.
 */
final class InferenceBatch {

    /**
     * What the model returned for a batch.
     *
     * @param labels the top labels of each frame that ran, in order
     * @param compensator the Token Compensator pair applied, or null
     * @param inferenceNanos forward-pass wall time
     * @param reuse per frame that ran, what it reused of its camera's cache; null when the batch
     *     ran without token reuse
     */
    record Result(
            List<List<LabelRecord.Label>> labels,
            String compensator,
            long inferenceNanos,
            List<LabelRecord.Reuse> reuse) {

        /** The result of a batch whose frames were all skipped. */
        static final Result NOTHING_RAN = new Result(List.of(), null, 0, null);

        Result(List<List<LabelRecord.Label>> labels, String compensator, long inferenceNanos) {
            this(labels, compensator, inferenceNanos, null);
        }
    }

    private final List<PendingFrame> frames;
    private final BatchPlan plan;
    private final List<PendingFrame> run;
    private final long formedMs;
    private final ReuseCache.Reservation reuse;
    private Watermark watermarkAfter;
    private Result result;

    /**
     * @param frames the batch's frames in order
     * @param plan the level source's plan for them; its skip flags, if any, are one per frame
     * @param formedMs processing time of the cut
     * @param watermarkAfter the watermark to emit after the batch's labels, or null
     */
    InferenceBatch(List<PendingFrame> frames, BatchPlan plan, long formedMs, Watermark watermarkAfter) {
        this(frames, plan, formedMs, watermarkAfter, null);
    }

    /**
     * A batch that reserves its cameras in {@code cache} (null: none), whatever its level, so the
     * cache sees every frame in cut order ({@link ReuseCache#reserve}); released at {@link
     * #complete}.
     */
    InferenceBatch(
            List<PendingFrame> frames, BatchPlan plan, long formedMs, Watermark watermarkAfter, ReuseCache cache) {
        this.frames = frames;
        this.plan = Objects.requireNonNull(plan, "plan");
        if (plan.skippedCount() == 0) {
            this.run = frames;
        } else {
            List<PendingFrame> run = new ArrayList<>(frames.size());
            for (int i = 0; i < frames.size(); i++) {
                if (!plan.skips(i)) {
                    run.add(frames.get(i));
                }
            }
            this.run = run;
        }
        this.formedMs = formedMs;
        this.watermarkAfter = watermarkAfter;
        this.reuse = cache == null ? null : reserve(cache, frames, plan);
    }

    private static ReuseCache.Reservation reserve(ReuseCache cache, List<PendingFrame> frames, BatchPlan plan) {
        List<String> streams = new ArrayList<>(frames.size());
        long[] seqs = new long[frames.size()];
        long[] sizes = new long[frames.size()];
        boolean[] skipped = new boolean[frames.size()];
        for (int i = 0; i < frames.size(); i++) {
            DecodedFrame f = frames.get(i).frame();
            streams.add(f.stream());
            seqs[i] = f.seq();
            sizes[i] = f.sourceSize();
            skipped[i] = plan.skips(i);
        }
        return cache.reserve(streams, seqs, sizes, skipped, plan.level().isReuse());
    }

    /** The cameras' reuse states for the frames that run; null or empty when none reuse. */
    ReuseCache.Reservation reuse() {
        return reuse;
    }

    /** All frames, skipped ones included, in order. */
    List<PendingFrame> frames() {
        return frames;
    }

    /** The frames that run through the model, in order. */
    List<PendingFrame> run() {
        return run;
    }

    boolean isSkipped(int index) {
        return plan.skips(index);
    }

    CompressionLevel level() {
        return plan.level();
    }

    long formedMs() {
        return formedMs;
    }

    /** The watermark to emit after this batch's labels, or null. */
    Watermark watermarkAfter() {
        return watermarkAfter;
    }

    /** Holds {@code mark} behind this batch; a later watermark replaces an earlier one. */
    void holdWatermark(Watermark mark) {
        watermarkAfter = mark;
    }

    /** Sets the result, once. */
    void complete(Result result) {
        if (this.result != null) {
            throw new IllegalStateException("a batch completes once");
        }
        this.result = Objects.requireNonNull(result, "result");
        if (reuse != null) {
            reuse.release();
        }
    }

    /** Whether the result is in: the batch can be emitted once every batch before it is. */
    boolean isLabelled() {
        return result != null;
    }

    /** The result; null until {@link #complete}. */
    Result result() {
        return result;
    }
}
