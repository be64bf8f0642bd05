package org.tocomstream.stream;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * How the inference operator forms batches and how many it runs at once.
 *
 * <ul>
 *   <li>A batch is cut when it holds {@code maxBatchSize} frames, or when its first frame has
 *       waited {@code maxDelay} in the operator (processing time), before every checkpoint
 *       barrier and at end of input.
 *   <li>At most {@code maxInFlight} batches are in the model or waiting to be emitted. When that
 *       many are, the operator stops taking input until one is emitted, which Flink turns into
 *       backpressure; memory stays bounded by {@code (maxInFlight + 1) × maxBatchSize} frames.
 * </ul>
 *
 * <pre>{@code
 * BatchingConfig batching = new BatchingConfig(16, Duration.ofMillis(50), 2);
 * }</pre>
 *
 * @param maxBatchSize frames per batch at most (setting {@value #MAX_BATCH_SIZE})
 * @param maxDelay longest wait of a frame before its batch is cut, at least 1 ms (setting {@value
 *     #MAX_DELAY})
 * @param maxInFlight batches running or awaiting emission at most; each one runs on its own
 *     inference thread (setting {@value #MAX_IN_FLIGHT})
 */
public record BatchingConfig(int maxBatchSize, Duration maxDelay, int maxInFlight) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Setting name of {@link #maxBatchSize()}. */
    public static final String MAX_BATCH_SIZE = "vit.batch.max-size";

    /** Setting name of {@link #maxDelay()}. */
    public static final String MAX_DELAY = "vit.batch.max-delay";

    /** Setting name of {@link #maxInFlight()}. */
    public static final String MAX_IN_FLIGHT = "vit.batch.max-in-flight";

    /** Upper bound on {@link #maxBatchSize()}: far above any useful batch, below an OOM typo. */
    public static final int MAX_BATCH_SIZE_LIMIT = 4096;

    /** Upper bound on {@link #maxInFlight()}: each batch in flight holds an inference thread. */
    public static final int MAX_IN_FLIGHT_LIMIT = 64;

    /** @throws IllegalArgumentException naming the setting */
    public BatchingConfig {
        if (maxBatchSize < 1 || maxBatchSize > MAX_BATCH_SIZE_LIMIT) {
            throw new IllegalArgumentException(String.format(
                    "%s must be in [1, %d] but was %d", MAX_BATCH_SIZE, MAX_BATCH_SIZE_LIMIT, maxBatchSize));
        }
        Objects.requireNonNull(maxDelay, MAX_DELAY + " must be set");
        if (maxDelay.toMillis() < 1) {
            throw new IllegalArgumentException(String.format(
                    "%s must be at least 1 ms (processing-time timers have ms" + " resolution) but was %s",
                    MAX_DELAY, maxDelay));
        }
        if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT) {
            throw new IllegalArgumentException(
                    String.format("%s must be in [1, %d] but was %d", MAX_IN_FLIGHT, MAX_IN_FLIGHT_LIMIT, maxInFlight));
        }
    }

    /** {@link #maxDelay()} in whole milliseconds. */
    public long maxDelayMs() {
        return maxDelay.toMillis();
    }
}
