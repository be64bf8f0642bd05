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
     * the frames. A batch larger than any the level ran costs at least that much: the time per
     * frame falls with the batch size, so the figure errs long, which only makes shedding keep
     * a frame's label on time (capping it at the largest measured batch, as before, predicted
     * a full batch after a start-up of half-full ones at half its time and kept frames that came
     * out late).
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
        return largest == null ? OptionalDouble.empty() : OptionalDouble.of(largest.msPerFrame() * frames);
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
