package org.tocomstream.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tocomstream.compress.CompressionLevel;

/**
 * The load side of the inference operator: it samples arrivals and forward-pass times, turns them
 * into the {@link LoadSignals} of a batch being cut, asks the {@link LevelSource} for the batch's
 * {@link BatchPlan} and checks the answer. Task thread only; time comes from the caller.
 *
 * <pre>{@code
 * planner.arrived(nowMs);                                  // per frame
 * LoadSignals signals = planner.sample(nowMs, frames, queuedFrames, inFlightBatches, backlog);
 * BatchPlan plan = planner.plan(signals, frames);          // once per batch
 * planner.served(plan.level(), ranFrames, nanos);          // when its result is in
 * }</pre>
 */
final class BatchPlanner {

    private final LevelSource levelSource;
    private final int maxInFlight;
    private final int maxBatchSize;
    private final ArrivalRate arrivals = new ArrivalRate();
    private final ServiceTimes serviceTimes = new ServiceTimes();
    private CompressionLevel level;

    /**
     * @param levelSource asked for each batch's plan
     * @param maxInFlight {@link BatchingConfig#maxInFlight()}
     * @param maxBatchSize {@link BatchingConfig#maxBatchSize()}: larger batches are not measured
     */
    BatchPlanner(LevelSource levelSource, int maxInFlight, int maxBatchSize) {
        this.levelSource = Objects.requireNonNull(levelSource, "levelSource");
        this.maxInFlight = maxInFlight;
        this.maxBatchSize = maxBatchSize;
    }

    /** Counts a frame received at {@code nowMs}. */
    void arrived(long nowMs) {
        arrivals.record(nowMs);
    }

    /**
     * Records the forward pass of {@code frames} frames at {@code level}. A batch above {@code
     * maxBatchSize} is not recorded: the operator never runs one, and its time per frame, lower
     * than any allowed batch can reach, would stay a rung's best for good.
     */
    void served(CompressionLevel level, int frames, long nanos) {
        if (frames <= maxBatchSize) {
            serviceTimes.record(level, frames, nanos);
        }
    }

    /** The level of the latest plan, or null before the first. */
    CompressionLevel level() {
        return level;
    }

    /**
     * The signals of a batch being cut.
     *
     * @param nowMs processing time of the cut
     * @param frames the batch's frames
     * @param queuedFrames frames accepted and not yet labelled, the batch included
     * @param inFlightBatches batches in the model or awaiting emission, the batch excluded
     * @param upstreamBacklogFrames the source's pending records, or {@link LoadSignals#UNKNOWN}
     */
    LoadSignals sample(
            long nowMs, List<PendingFrame> frames, int queuedFrames, int inFlightBatches, long upstreamBacklogFrames) {
        long oldest = Long.MAX_VALUE;
        long newest = Long.MIN_VALUE;
        for (PendingFrame p : frames) {
            oldest = Math.min(oldest, p.frame().ageFromTs());
            newest = Math.max(newest, p.frame().ageFromTs());
        }
        return new LoadSignals(
                nowMs,
                frames.size(),
                nowMs - oldest,
                nowMs - newest,
                queuedFrames,
                inFlightBatches,
                arrivals.perSecond(nowMs),
                level,
                serviceTimes.snapshot(),
                maxInFlight,
                upstreamBacklogFrames);
    }

    /**
     * Asks the level source once for the batch's plan and remembers its level for the next
     * batch's signals.
     *
     * @throws IllegalStateException naming the source when it returns no plan, or skip flags
     *     that are not one per frame
     */
    BatchPlan plan(LoadSignals signals, List<PendingFrame> frames) {
        List<DecodedFrame> decoded = new ArrayList<>(frames.size());
        for (PendingFrame p : frames) {
            decoded.add(p.frame());
        }
        BatchPlan plan = levelSource.plan(signals, decoded);
        if (plan == null) {
            throw new IllegalStateException("level source " + levelSource + " returned no plan");
        }
        int flags = plan.skip().length;
        if (flags != 0 && flags != frames.size()) {
            throw new IllegalStateException(String.format(
                    "level source %s returned %d skip flags for %d frames", levelSource, flags, frames.size()));
        }
        level = plan.level();
        return plan;
    }
}
