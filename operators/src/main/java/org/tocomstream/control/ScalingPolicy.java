package org.tocomstream.control;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Recommends the parallelism of the inference operator from its subtasks' {@link
 * FullQualityLoad}: the capacity the job needs to label every frame at full quality, which the
 * level controller's compression does not hide. A pure strategy on an injected clock: the caller
 * collects the loads (the {@code fullQualityLoad} gauge of each subtask, averaged over its
 * reporting interval), asks {@link #next} and, when the recommendation differs from the running
 * parallelism, rescales the job (stop with a savepoint, restore at the new parallelism).
 *
 * <ul>
 *   <li><b>Up</b>: once the busiest subtask's load has stayed above {@link
 *       ScalingConfig#upperLoad()} for {@link ScalingConfig#upWindow()}, to {@link
 *       ScalingConfig#parallelismFor} (its load at {@link ScalingConfig#targetLoad()}). A burst
 *       shorter than the window is left to compression.
 *   <li><b>Down</b>: once it has stayed below {@link ScalingConfig#lowerLoad()} for the longer
 *       {@link ScalingConfig#downWindow()}, and never while the upstream backlog exceeds {@link
 *       ScalingConfig#maxBacklog()} (a draining backlog is work the subtasks still owe).
 *   <li><b>Hysteresis</b>: between the bounds nothing moves, and for {@link
 *       ScalingConfig#stabilization()} after a rescale (or the first call) the loads are not
 *       judged. The busiest subtask decides, because a keyed stream's cameras stay on their
 *       subtask (the same choice as Flink's autoscaler's MAX busy-time aggregator).
 * </ul>
 *
 * <p>The two loops do not fight: the level controller acts on the frame age within seconds and
 * changes the level, the scaler acts on the full-quality load over minutes, and the level does not
 * enter that load. One instance per job, called from one thread.
 *
 * <pre>{@code
 * ScalingPolicy scaler = ScalingPolicy.of(ScalingConfig.defaults(), clockMs);
 * // every reporting interval:
 * ScalingPolicy.Recommendation r = scaler.next(new ScalingPolicy.Signal(4, 1.12, 0.5));
 * if (r.rescales(4)) {
 *     rescale(r.parallelism());   // stop with a savepoint, restore at the new parallelism
 * }
 * }</pre>
 */
public final class ScalingPolicy {

    /**
     * What the scaler judges.
     *
     * @param parallelism the running parallelism, at least 1
     * @param peakLoad the largest {@link FullQualityLoad} over the subtasks, NaN when unknown
     * @param backlogSeconds the frames waiting upstream over the arrival rate, seconds; 0 when
     *     unknown
     */
    public record Signal(int parallelism, double peakLoad, double backlogSeconds) {
        public Signal {
            if (parallelism < 1) {
                throw new IllegalArgumentException("parallelism must be >= 1 but was " + parallelism);
            }
            if (peakLoad < 0 || Double.isInfinite(peakLoad)) {
                throw new IllegalArgumentException("peak load must be a finite number >= 0 or NaN but was " + peakLoad);
            }
            if (!(backlogSeconds >= 0)) {
                throw new IllegalArgumentException("backlog must be >= 0 s but was " + backlogSeconds);
            }
        }
    }

    /**
     * The answer.
     *
     * @param parallelism the recommended parallelism; equal to the running one unless the job
     *     should rescale
     * @param reason {@code stabilizing}, {@code unknown}, {@code within}, {@code above} (waiting
     *     for the up window), {@code below} (waiting for the down window), {@code draining}
     *     (below, but a backlog drains), {@code bounded} (a rescale the bounds forbid), {@code
     *     scale-up}, {@code scale-down}
     */
    public record Recommendation(int parallelism, String reason) {
        /** Whether the job should rescale to {@link #parallelism()} from {@code running}. */
        public boolean rescales(int running) {
            return parallelism != running;
        }
    }

    private static final long NEVER = Long.MIN_VALUE;

    private final ScalingConfig config;
    private final LongSupplier clockMs;
    private long stableFromMs = NEVER;
    private long aboveSinceMs = NEVER;
    private long belowSinceMs = NEVER;

    private ScalingPolicy(ScalingConfig config, LongSupplier clockMs) {
        this.config = Objects.requireNonNull(config, "config");
        this.clockMs = MonotonicClock.steady(Objects.requireNonNull(clockMs, "clockMs"));
    }

    /**
     * @param clockMs the current time in ms, any origin; a backward step is ignored ({@link
     *     MonotonicClock#steady})
     */
    public static ScalingPolicy of(ScalingConfig config, LongSupplier clockMs) {
        return new ScalingPolicy(config, clockMs);
    }

    public ScalingConfig config() {
        return config;
    }

    /** The recommendation for {@code signal}. */
    public Recommendation next(Signal signal) {
        Objects.requireNonNull(signal, "signal");
        long now = clockMs.getAsLong();
        int p = signal.parallelism();
        if (stableFromMs == NEVER) {
            stableFromMs = now + config.stabilization().toMillis();
        }
        if (now < stableFromMs) {
            return hold(p, "stabilizing");
        }
        double load = signal.peakLoad();
        if (Double.isNaN(load)) {
            return hold(p, "unknown");
        }
        if (load > config.upperLoad()) {
            belowSinceMs = NEVER;
            aboveSinceMs = aboveSinceMs == NEVER ? now : aboveSinceMs;
            if (now - aboveSinceMs < config.upWindow().toMillis()) {
                return new Recommendation(p, "above");
            }
            int wanted = config.parallelismFor(p, load);
            return wanted > p ? rescale(wanted, "scale-up") : new Recommendation(p, "bounded");
        }
        aboveSinceMs = NEVER;
        if (load >= config.lowerLoad()) {
            belowSinceMs = NEVER;
            return new Recommendation(p, "within");
        }
        if (signal.backlogSeconds() > config.maxBacklog().toMillis() / 1000.0) {
            belowSinceMs = NEVER;
            return new Recommendation(p, "draining");
        }
        belowSinceMs = belowSinceMs == NEVER ? now : belowSinceMs;
        if (now - belowSinceMs < config.downWindow().toMillis()) {
            return new Recommendation(p, "below");
        }
        int wanted = config.parallelismFor(p, load);
        return wanted < p ? rescale(wanted, "scale-down") : new Recommendation(p, "bounded");
    }

    /**
     * Tells the policy the job was rescaled (or restarted) now: the loads are not judged for the
     * stabilization time. {@link #next} calls it itself when it recommends a rescale; call it for
     * a restart it did not ask for.
     */
    public void rescaled() {
        stableFromMs = clockMs.getAsLong() + config.stabilization().toMillis();
        aboveSinceMs = NEVER;
        belowSinceMs = NEVER;
    }

    private Recommendation rescale(int wanted, String reason) {
        rescaled();
        return new Recommendation(wanted, reason);
    }

    private Recommendation hold(int p, String reason) {
        aboveSinceMs = NEVER;
        belowSinceMs = NEVER;
        return new Recommendation(p, reason);
    }

    @Override
    public String toString() {
        return "scaling(" + config + ")";
    }
}
