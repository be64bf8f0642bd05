package org.tocomstream.control;

import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What a {@link LevelController} decides on: one snapshot of the inference operator's load, taken
 * when a batch is formed. Only the operator's own measurements are required; the upstream backlog
 * is optional and degrades gracefully to {@link #UNKNOWN} when the signal is missing.
 *
 * <pre>{@code
 * LoadSignal signal = new LoadSignal(
 *         180,                         // oldest frame of the batch is 180 ms old
 *         12, 1, 1,                    // 12 frames queued, 1 batch in flight, 1 may run at once
 *         95.0,                        // frames/s arriving
 *         Map.of(0, 9.8, 2, 6.1),      // measured ms per frame at rungs 0 and 2
 *         LoadSignal.UNKNOWN);         // no upstream backlog signal
 * }</pre>
 *
 * @param frameAgeMs age of the oldest frame of the batch being formed (now minus capture time), ms
 * @param queuedFrames frames the operator holds and has not labelled yet, the batch included
 * @param inFlightBatches batches in the model or awaiting emission, the new batch excluded
 * @param concurrency batches the operator may run at once (its in-flight bound), at least 1
 * @param arrivalRatePerSecond frames per second arriving at the operator, recent
 * @param msPerFrame measured forward-pass time per frame by ladder rung index, for the rungs that
 *     ran; rungs missing from the map are predicted from the cost model
 * @param upstreamBacklogFrames frames waiting before the operator (e.g. the Kafka source's {@code
 *     pendingRecords}), or {@link #UNKNOWN}
 */
public record LoadSignal(
        long frameAgeMs,
        int queuedFrames,
        int inFlightBatches,
        int concurrency,
        double arrivalRatePerSecond,
        Map<Integer, Double> msPerFrame,
        long upstreamBacklogFrames) {

    /** {@link #upstreamBacklogFrames()} when no signal is available. */
    public static final long UNKNOWN = -1;

    /** @throws IllegalArgumentException for values no operator can measure */
    public LoadSignal {
        msPerFrame = Map.copyOf(Objects.requireNonNull(msPerFrame, "msPerFrame"));
        if (queuedFrames < 0 || inFlightBatches < 0) {
            throw new IllegalArgumentException(String.format(
                    "queued frames (%d) and batches in flight (%d) must be >= 0", queuedFrames, inFlightBatches));
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be >= 1 but was " + concurrency);
        }
        if (!(arrivalRatePerSecond >= 0) || Double.isInfinite(arrivalRatePerSecond)) {
            throw new IllegalArgumentException(
                    "arrival rate must be a finite number >= 0 but was " + arrivalRatePerSecond);
        }
        if (upstreamBacklogFrames < UNKNOWN) {
            throw new IllegalArgumentException(
                    "upstream backlog must be >= 0 or UNKNOWN but was " + upstreamBacklogFrames);
        }
        for (Map.Entry<Integer, Double> e : msPerFrame.entrySet()) {
            if (!(e.getValue() > 0) || e.getValue().isInfinite()) {
                throw new IllegalArgumentException(String.format(
                        "measured ms per frame of rung %d must be positive but was %s", e.getKey(), e.getValue()));
            }
        }
    }

    /** The measured time per frame at rung {@code index}, if it ran. */
    public OptionalDouble measuredMsPerFrame(int index) {
        Double ms = msPerFrame.get(index);
        return ms == null ? OptionalDouble.empty() : OptionalDouble.of(ms);
    }

    /** Whether the upstream backlog is known. */
    public boolean hasUpstreamBacklog() {
        return upstreamBacklogFrames != UNKNOWN;
    }
}
