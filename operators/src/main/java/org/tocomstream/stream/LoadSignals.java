package org.tocomstream.stream;

import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import org.tocomstream.compress.CompressionLevel;

/**
 * What the inference operator measured when it formed a batch: the input of a {@link
 * LevelSource}. A snapshot: immutable, taken on the operator's task thread, one per batch.
 *
 * <p>Times are the operator's processing time (epoch ms, Flink's {@code ProcessingTimeService}),
 * so a test harness controls them; inference durations are wall time measured around the forward
 * pass.
 *
 * @param nowMs processing time at batch formation, epoch ms
 * @param batchSize frames in the batch the level is asked for
 * @param oldestAgeMs {@code nowMs} minus the earliest capture time in the batch
 * @param newestAgeMs {@code nowMs} minus the latest capture time in the batch
 * @param queuedFrames frames this operator has accepted and not yet labelled, the batch included
 * @param inFlightBatches batches submitted to the model and not yet emitted, the batch excluded
 * @param arrivalRatePerSecond frames received per second over the last second
 * @param previousLevel the level of the previous batch, or null before the first
 * @param serviceTimes measured forward-pass time per frame by level and batch size, so far
 * @param maxInFlight batches the operator may run at once ({@link BatchingConfig#maxInFlight()})
 * @param upstreamBacklogFrames frames waiting before the operator (the Kafka source's pending
 *     records) when that signal is available, else {@link #UNKNOWN}
 */
public record LoadSignals(
        long nowMs,
        int batchSize,
        long oldestAgeMs,
        long newestAgeMs,
        int queuedFrames,
        int inFlightBatches,
        double arrivalRatePerSecond,
        CompressionLevel previousLevel,
        List<ServiceTime> serviceTimes,
        int maxInFlight,
        long upstreamBacklogFrames) {

    /** {@link #upstreamBacklogFrames()} when the signal is missing. */
    public static final long UNKNOWN = -1;

    public LoadSignals {
        serviceTimes = List.copyOf(serviceTimes);
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1 but was " + maxInFlight);
        }
    }

    /** Signals of an operator running one batch at a time, without an upstream backlog signal. */
    public LoadSignals(
            long nowMs,
            int batchSize,
            long oldestAgeMs,
            long newestAgeMs,
            int queuedFrames,
            int inFlightBatches,
            double arrivalRatePerSecond,
            CompressionLevel previousLevel,
            List<ServiceTime> serviceTimes) {
        this(
                nowMs,
                batchSize,
                oldestAgeMs,
                newestAgeMs,
                queuedFrames,
                inFlightBatches,
                arrivalRatePerSecond,
                previousLevel,
                serviceTimes,
                1,
                UNKNOWN);
    }

    /**
     * Forward-pass time per frame at one level and batch size: an exponentially weighted mean
     * (weight 0.2 on the newest batch) over the batches run so far.
     *
     * @param level the batch's compression level
     * @param batchSize frames in those batches
     * @param msPerFrame mean forward-pass wall time divided by the batch size, ms
     * @param batches how many batches the mean is over
     */
    public record ServiceTime(CompressionLevel level, int batchSize, double msPerFrame, long batches) {
        public ServiceTime {
            Objects.requireNonNull(level, "level");
        }
    }

    /**
     * The measured time per frame at this level for the largest batch size it ran with: the
     * regime that matters under load, when batches are full.
     */
    public OptionalDouble msPerFrameAtLargestBatch(CompressionLevel level) {
        ServiceTime best = null;
        for (ServiceTime t : serviceTimes) {
            if (t.level().equals(level) && (best == null || t.batchSize() > best.batchSize())) {
                best = t;
            }
        }
        return best == null ? OptionalDouble.empty() : OptionalDouble.of(best.msPerFrame());
    }

    /**
     * The lowest measured time per frame at this level over the batch sizes it ran with: what the
     * level does when batches fill. Preferred to the largest batch's figure by the load
     * controller, because a batch size that stops occurring (full batches of a start-up backlog,
     * with the JIT still cold) keeps its figure for good, while the sizes that occur now are
     * measured afresh; the small batches of a light load cost more per frame, so they raise the
     * figure only where no fuller batch did better.
     */
    public OptionalDouble bestMsPerFrame(CompressionLevel level) {
        double best = Double.NaN;
        for (ServiceTime t : serviceTimes) {
            if (t.level().equals(level) && !(t.msPerFrame() >= best)) {
                best = t.msPerFrame();
            }
        }
        return Double.isNaN(best) ? OptionalDouble.empty() : OptionalDouble.of(best);
    }

    /**
     * The predicted wall time of a batch of {@code frames} frames at this level: the measured mean
     * at that batch size, else the mean per frame at the largest size the level ran with, times
     * the frames up to that size. {@code frames} may be every frame waiting, more than a batch
     * holds: the plan judges the whole buffer and the operator then cuts at most its maximum
     * batch size, and under load, when shedding matters, batches are full at that size. (Not
     * capping it, tried once, predicted the time of a 250-frame batch and skipped frames the
     * model had time for: at 1.5x with 320-px frames 63 % of the frames were skipped and the
     * labelled rate fell to 100 frames/s, half of the top rung's capacity.)
     */
    public OptionalDouble batchMs(CompressionLevel level, int frames) {
        OptionalDouble exact = msPerFrame(level, frames);
        if (exact.isPresent()) {
            return OptionalDouble.of(exact.getAsDouble() * frames);
        }
        ServiceTime largest = null;
        for (ServiceTime t : serviceTimes) {
            if (t.level().equals(level) && (largest == null || t.batchSize() > largest.batchSize())) {
                largest = t;
            }
        }
        return largest == null
                ? OptionalDouble.empty()
                : OptionalDouble.of(largest.msPerFrame() * Math.min(frames, largest.batchSize()));
    }

    /** The measured time per frame at this level and batch size, if any batch ran so. */
    public OptionalDouble msPerFrame(CompressionLevel level, int size) {
        for (ServiceTime t : serviceTimes) {
            if (t.batchSize() == size && t.level().equals(level)) {
                return OptionalDouble.of(t.msPerFrame());
            }
        }
        return OptionalDouble.empty();
    }
}
