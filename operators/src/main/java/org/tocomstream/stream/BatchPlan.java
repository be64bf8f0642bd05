package org.tocomstream.stream;

import java.util.Arrays;
import java.util.Objects;
import org.tocomstream.compress.CompressionLevel;

/**
 * A {@link LevelSource}'s whole decision for one batch, returned by one call to {@link
 * LevelSource#plan} when the operator cuts the batch. Immutable: the skip flags are copied in and
 * out.
 *
 * <h2>When the operator reads each part</h2>
 *
 * <ul>
 *   <li>{@code level}, {@code rung}, {@code reason} and {@code skip} describe <em>this</em> batch
 *       and are read right away, on the task thread, at the cut: the level goes into the forward
 *       pass and every label, the rung into the level-index gauge, the reason into the
 *       level-change log line, and the skipped frames are not run but still get a label record
 *       marked {@code skipped}.
 *   <li>{@code coalesceStreams} is about the <em>next</em> batch. A buffer has to know when it is
 *       full while it fills, before any plan for it can exist, so the operator keeps this answer
 *       from the cut on and applies it to the buffer that fills after this batch, until the next
 *       plan replaces it. The first buffer fills without coalescing.
 * </ul>
 *
 * <pre>{@code
 * BatchPlan plain = BatchPlan.of(CompressionLevel.tome(4));
 * BatchPlan shedding =
 *         new BatchPlan(ladder.level(3), 3, new boolean[] {true, false}, "saturated", true);
 * }</pre>
 *
 * @param level the compression level the batch runs at, never null
 * @param rung the level's position on the source's ladder (0 = most accurate; 0 for a source
 *     without one), for the {@link InferenceMetrics#COMPRESSION_LEVEL_INDEX} gauge
 * @param skip one flag per frame of the batch, in order, true to skip the frame; empty (or null
 *     when constructing) when none is skipped
 * @param reason why the level is what it is, for the level-change log line; may be empty, never
 *     null (null becomes empty)
 * @param coalesceStreams whether the buffer that fills next keeps only the newest frame of each
 *     stream: it is then cut once it holds frames of {@code maxBatchSize} different streams (or
 *     four times that many frames)
 * @param fullQualityLoad the subtask's load at full quality when the batch was cut ({@link
 *     org.tocomstream.control.FullQualityLoad}), for the {@link InferenceMetrics#FULL_QUALITY_LOAD}
 *     gauge; NaN when unknown
 */
public record BatchPlan(
        CompressionLevel level,
        int rung,
        boolean[] skip,
        String reason,
        boolean coalesceStreams,
        double fullQualityLoad) {

    private static final boolean[] NONE = new boolean[0];

    public BatchPlan {
        Objects.requireNonNull(level, "a batch plan needs a level");
        skip = skip == null || skip.length == 0 ? NONE : skip.clone();
        reason = reason == null ? "" : reason;
    }

    /** A plan without a full-quality load (NaN). */
    public BatchPlan(CompressionLevel level, int rung, boolean[] skip, String reason, boolean coalesceStreams) {
        this(level, rung, skip, reason, coalesceStreams, Double.NaN);
    }

    /** Runs every frame at {@code level}, rung 0, no reason, no coalescing. */
    public static BatchPlan of(CompressionLevel level) {
        return new BatchPlan(level, 0, null, "", false);
    }

    /** A copy of the skip flags: empty when no frame is skipped. */
    @Override
    public boolean[] skip() {
        return skip.length == 0 ? NONE : skip.clone();
    }

    /** Whether frame {@code index} of the batch is skipped. */
    public boolean skips(int index) {
        return index < skip.length && skip[index];
    }

    /**
     * This plan for the {@code frames} first frames of its batch only: the same decision, the
     * skip flags cut to them.
     */
    public BatchPlan head(int frames) {
        if (frames < 0) {
            throw new IllegalArgumentException("frames must be >= 0 but was " + frames);
        }
        if (skip.length <= frames) {
            return this;
        }
        return new BatchPlan(level, rung, Arrays.copyOf(skip, frames), reason, coalesceStreams, fullQualityLoad);
    }

    /** How many frames are skipped. */
    public int skippedCount() {
        int count = 0;
        for (boolean b : skip) {
            count += b ? 1 : 0;
        }
        return count;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchPlan p
                && level.equals(p.level)
                && rung == p.rung
                && Arrays.equals(skip, p.skip)
                && reason.equals(p.reason)
                && coalesceStreams == p.coalesceStreams
                && Double.compare(fullQualityLoad, p.fullQualityLoad) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(level, rung, Arrays.hashCode(skip), reason, coalesceStreams, fullQualityLoad);
    }

    @Override
    public String toString() {
        return "BatchPlan[level="
                + level
                + ", rung="
                + rung
                + ", skip="
                + Arrays.toString(skip)
                + ", reason="
                + reason
                + ", coalesceStreams="
                + coalesceStreams
                + ", fullQualityLoad="
                + fullQualityLoad
                + "]";
    }
}
