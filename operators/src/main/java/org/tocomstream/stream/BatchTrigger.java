package org.tocomstream.stream;

/**
 * When the inference operator's buffer becomes a batch: once it is full, or once its first frame
 * has waited {@link BatchingConfig#maxDelay()}. Full means {@code maxBatchSize} frames; while the
 * level source coalesces streams (keeps only the newest frame of each), full means frames of
 * {@code maxBatchSize} different streams or {@value #COALESCE_FACTOR} times {@code maxBatchSize}
 * frames, whichever comes first, so memory stays bounded while older frames of a stream pile up.
 * Pure: no clock, no state.
 *
 * <pre>{@code
 * BatchTrigger trigger = new BatchTrigger(new BatchingConfig(16, Duration.ofMillis(50), 2));
 * boolean cut = trigger.isFull(frames, streams, plan.coalesceStreams());
 * long dueMs = trigger.deadline(firstFrameArrivalMs);
 * }</pre>
 */
final class BatchTrigger {

    /** While coalescing streams, a batch holds at most this many times maxBatchSize frames. */
    static final int COALESCE_FACTOR = 4;

    private final int maxBatchSize;
    private final long maxDelayMs;

    BatchTrigger(BatchingConfig batching) {
        this.maxBatchSize = batching.maxBatchSize();
        this.maxDelayMs = batching.maxDelayMs();
    }

    /**
     * Whether a buffer of {@code frames} frames from {@code streams} different streams is full.
     *
     * @param coalescing whether the latest plan asked to coalesce streams
     */
    boolean isFull(int frames, int streams, boolean coalescing) {
        if (coalescing) {
            return streams >= maxBatchSize || frames >= COALESCE_FACTOR * maxBatchSize;
        }
        return frames >= maxBatchSize;
    }

    /**
     * How many of the buffer's oldest frames the batch planned with {@code plan} takes: all of
     * them, unless more than {@code maxBatchSize} would run (the plan skips too few of a buffer
     * that filled while coalescing); then the frames up to the {@code maxBatchSize}-th that runs,
     * and the rest wait for the next batch. No frame is skipped for the bound, and no batch larger
     * than the bound runs, so its service time is never taken for a rung's.
     *
     * @param plan the plan for the whole buffer
     * @param frames frames in the buffer
     */
    int framesToCut(BatchPlan plan, int frames) {
        int run = 0;
        for (int i = 0; i < frames; i++) {
            if (!plan.skips(i) && ++run > maxBatchSize) {
                return i;
            }
        }
        return frames;
    }

    /** When a buffer whose first frame arrived at {@code firstFrameMs} is due, processing time. */
    long deadline(long firstFrameMs) {
        return firstFrameMs + maxDelayMs;
    }

    /** Frames a batch holds at most when not coalescing. */
    int maxBatchSize() {
        return maxBatchSize;
    }
}
