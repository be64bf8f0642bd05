package org.tocomstream.control;

/**
 * The load of one inference subtask at full quality: the fraction of time its model would be busy
 * if every arriving frame ran at rung 0 of the {@link Ladder} (usually level {@code none}). Unlike
 * the busy time Flink measures, it does not fall when the controller compresses: a sustained
 * overload that only compression absorbs reads above 1, a subtask with room to spare at full
 * quality reads well below it. Summed over the subtasks and divided by a target utilization it is
 * the parallelism the job needs at full quality ({@link ScalingPolicy}).
 *
 * <pre>{@code
 * double load = FullQualityLoad.of(95.0, 9.8, 1, 0.0);   // 95 frames/s × 9.8 ms = 0.931
 * }</pre>
 */
public final class FullQualityLoad {

    private FullQualityLoad() {}

    /**
     * {@code framesPerSecond × (msPerFrame / concurrency + unseenMsPerFrame) / 1000}: the busy
     * fraction of a model that runs {@code concurrency} batches at once, each frame costing {@code
     * msPerFrame} in the forward pass plus {@code unseenMsPerFrame} outside it (the controller's
     * learnt extra cost, {@link Decision#unseenMsPerFrame()}).
     *
     * @return the load, at least 0; NaN when {@code msPerFrame} is NaN (rung 0's time unknown)
     * @throws IllegalArgumentException for a negative or infinite rate or cost, or a concurrency
     *     below 1
     */
    public static double of(double framesPerSecond, double msPerFrame, int concurrency, double unseenMsPerFrame) {
        if (!(framesPerSecond >= 0) || Double.isInfinite(framesPerSecond)) {
            throw new IllegalArgumentException(
                    "frames per second must be a finite number >= 0 but was " + framesPerSecond);
        }
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be >= 1 but was " + concurrency);
        }
        if (!(unseenMsPerFrame >= 0) || Double.isInfinite(unseenMsPerFrame)) {
            throw new IllegalArgumentException(
                    "unseen ms per frame must be a finite number >= 0 but was " + unseenMsPerFrame);
        }
        if (Double.isNaN(msPerFrame)) {
            return Double.NaN;
        }
        if (!(msPerFrame > 0) || Double.isInfinite(msPerFrame)) {
            throw new IllegalArgumentException("ms per frame must be a positive number but was " + msPerFrame);
        }
        return framesPerSecond * (msPerFrame / concurrency + unseenMsPerFrame) / 1000.0;
    }
}
