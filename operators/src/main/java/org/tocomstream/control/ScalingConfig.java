package org.tocomstream.control;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the {@link ScalingPolicy}: immutable, checked in the constructor, every message
 * naming the setting. Loads are {@link FullQualityLoad}s of one subtask (1 = its model busy all
 * the time at full quality).
 *
 * <pre>{@code
 * ScalingConfig config = ScalingConfig.defaults().withParallelismBounds(1, 16);
 * }</pre>
 *
 * @param targetLoad a rescale sizes the job so that the busiest subtask's load would be this,
 *     in (0, 1) (setting {@value #TARGET_LOAD}, default 0.7, as Flink's autoscaler's {@code
 *     job.autoscaler.utilization.target})
 * @param upperLoad scale up once the busiest subtask's load has stayed above this for {@code
 *     upWindow}; above {@code targetLoad} (setting {@value #UPPER_LOAD}, default 0.9)
 * @param lowerLoad scale down once the busiest subtask's load has stayed below this for {@code
 *     downWindow}; below {@code targetLoad} (setting {@value #LOWER_LOAD}, default 0.4)
 * @param upWindow how long the load must stay above {@code upperLoad}; minutes, not the
 *     seconds the level controller reacts in, so a burst is left to compression (setting
 *     {@value #UP_WINDOW}, default 2 min)
 * @param downWindow how long the load must stay below {@code lowerLoad}; at least {@code
 *     upWindow} (setting {@value #DOWN_WINDOW}, default 10 min)
 * @param stabilization after a rescale (or at the start) the loads are not judged for this long:
 *     the restart's backlog drains and the new subtasks measure their service times (setting
 *     {@value #STABILIZATION}, default 3 min)
 * @param maxBacklog no scale-down while the frames waiting upstream would take longer than this
 *     to arrive at the current rate, i.e. while a backlog drains (setting {@value #MAX_BACKLOG},
 *     default 10 s)
 * @param minParallelism the fewest subtasks recommended, at least 1 (setting {@value
 *     #MIN_PARALLELISM}, default 1)
 * @param maxParallelism the most subtasks recommended, at least {@code minParallelism} (setting
 *     {@value #MAX_PARALLELISM}, default 64)
 */
public record ScalingConfig(
        double targetLoad,
        double upperLoad,
        double lowerLoad,
        Duration upWindow,
        Duration downWindow,
        Duration stabilization,
        Duration maxBacklog,
        int minParallelism,
        int maxParallelism)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String TARGET_LOAD = "vit.scaling.target-load";
    public static final String UPPER_LOAD = "vit.scaling.upper-load";
    public static final String LOWER_LOAD = "vit.scaling.lower-load";
    public static final String UP_WINDOW = "vit.scaling.up-window";
    public static final String DOWN_WINDOW = "vit.scaling.down-window";
    public static final String STABILIZATION = "vit.scaling.stabilization";
    public static final String MAX_BACKLOG = "vit.scaling.max-backlog";
    public static final String MIN_PARALLELISM = "vit.scaling.min-parallelism";
    public static final String MAX_PARALLELISM = "vit.scaling.max-parallelism";

    /** @throws IllegalArgumentException naming the setting */
    public ScalingConfig {
        if (!(targetLoad > 0 && targetLoad < 1)) {
            throw new IllegalArgumentException(
                    String.format("%s must be in (0, 1) but was %s", TARGET_LOAD, targetLoad));
        }
        if (!(upperLoad > targetLoad) || Double.isInfinite(upperLoad)) {
            throw new IllegalArgumentException(String.format(
                    "%s must be a finite number above %s (%s) but was %s",
                    UPPER_LOAD, TARGET_LOAD, targetLoad, upperLoad));
        }
        if (!(lowerLoad >= 0 && lowerLoad < targetLoad)) {
            throw new IllegalArgumentException(String.format(
                    "%s must be in [0, %s = %s) but was %s", LOWER_LOAD, TARGET_LOAD, targetLoad, lowerLoad));
        }
        positive(upWindow, UP_WINDOW);
        positive(downWindow, DOWN_WINDOW);
        if (downWindow.compareTo(upWindow) < 0) {
            throw new IllegalArgumentException(String.format(
                    "%s (%s) must be at least %s (%s): give capacity back more slowly than it is bought",
                    DOWN_WINDOW, downWindow, UP_WINDOW, upWindow));
        }
        Objects.requireNonNull(stabilization, STABILIZATION + " must be set");
        Objects.requireNonNull(maxBacklog, MAX_BACKLOG + " must be set");
        if (stabilization.isNegative() || maxBacklog.isNegative()) {
            throw new IllegalArgumentException(String.format(
                    "%s (%s) and %s (%s) must be >= 0", STABILIZATION, stabilization, MAX_BACKLOG, maxBacklog));
        }
        if (minParallelism < 1 || maxParallelism < minParallelism) {
            throw new IllegalArgumentException(String.format(
                    "%s (%d) must be >= 1 and %s (%d) at least %s",
                    MIN_PARALLELISM, minParallelism, MAX_PARALLELISM, maxParallelism, MIN_PARALLELISM));
        }
    }

    /** The defaults listed in the class comment. */
    public static ScalingConfig defaults() {
        return new ScalingConfig(
                0.7,
                0.9,
                0.4,
                Duration.ofMinutes(2),
                Duration.ofMinutes(10),
                Duration.ofMinutes(3),
                Duration.ofSeconds(10),
                1,
                64);
    }

    /** This configuration with other windows and stabilization. */
    public ScalingConfig withWindows(Duration up, Duration down, Duration stabilizeFor) {
        return new ScalingConfig(
                targetLoad, upperLoad, lowerLoad, up, down, stabilizeFor, maxBacklog, minParallelism, maxParallelism);
    }

    /** This configuration with other load bounds. */
    public ScalingConfig withLoads(double target, double upper, double lower) {
        return new ScalingConfig(
                target, upper, lower, upWindow, downWindow, stabilization, maxBacklog, minParallelism, maxParallelism);
    }

    /** This configuration with other parallelism bounds. */
    public ScalingConfig withParallelismBounds(int min, int max) {
        return new ScalingConfig(
                targetLoad, upperLoad, lowerLoad, upWindow, downWindow, stabilization, maxBacklog, min, max);
    }

    /**
     * The parallelism at which a job of {@code parallelism} subtasks, its busiest at {@code
     * peakLoad}, would have its busiest at {@link #targetLoad()}: {@code ceil(parallelism ×
     * peakLoad / targetLoad)}, within the bounds.
     */
    public int parallelismFor(int parallelism, double peakLoad) {
        double wanted = Math.ceil(parallelism * peakLoad / targetLoad - 1e-9);
        return (int) Math.max(minParallelism, Math.min(maxParallelism, wanted));
    }

    private static void positive(Duration d, String setting) {
        Objects.requireNonNull(d, setting + " must be set");
        if (d.toMillis() < 1) {
            throw new IllegalArgumentException(String.format("%s must be at least 1 ms but was %s", setting, d));
        }
    }
}
