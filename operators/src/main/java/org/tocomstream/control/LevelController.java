package org.tocomstream.control;

import java.util.function.LongSupplier;

/**
 * Chooses the compression level of each batch from the load: a strategy {@code (load signal,
 * current level, clock) → next level} over a {@link Ladder} of levels, without any I/O or Flink
 * dependency. The caller (the inference operator's level source) samples a {@link LoadSignal} when
 * it forms a batch, asks {@link #next}, and runs the batch at the returned rung.
 *
 * <p>{@link #adaptive} is the default policy:
 *
 * <ul>
 *   <li><b>Feed-forward</b>: the demand is the arrival rate plus the backlog to drain within
 *       {@link ControllerConfig#drainHorizon()}, smoothed exponentially ({@link
 *       ControllerConfig#smoothing()}) so arrival noise does not move the level; the capacity of a
 *       rung is {@code concurrency × 1000 / ms per frame}, measured where the rung has run and
 *       otherwise predicted by scaling the nearest measured rung with the cost model; the
 *       feed-forward level is the lowest rung whose capacity times {@link
 *       ControllerConfig#targetUtilization()} covers the demand.
 *   <li><b>Feedback</b>: a PI controller on the age of the batch's oldest frame against {@link
 *       ControllerConfig#ageSetpointMs()}, output in rungs and added to the feed-forward level. The
 *       integral is kept in [0, top rung] and frozen while the output is saturated at the top rung
 *       (conditional integration, so a long overload does not delay the way back). Frames older
 *       than the setpoint count only while the operator is at least {@link
 *       ControllerConfig#busyUtilization()} busy: late frames at an idle operator were delayed
 *       before it, and compression would not help.
 *   <li><b>Hysteresis and dwell</b>: a cheaper level is taken at once (several rungs if needed) once
 *       the level has been held {@link ControllerConfig#degradeDwell()} (when frames are not older
 *       than the setpoint, the feed-forward must also have asked for it that long); a step back is
 *       one rung at a time, only after {@link ControllerConfig#restoreDwell()} at the level during
 *       which, without a break, the age was at or below the setpoint and the more accurate rung's
 *       capacity times {@link ControllerConfig#restoreUtilization()} covered the demand.
 *   <li><b>Shedding</b>: {@link Decision#shed()} is raised only at the top rung while it does not
 *       keep up, and only when {@link ControllerConfig#shedding()} is on.
 * </ul>
 *
 * <p>Instances keep the PI integral and the time of the last change: one instance per operator
 * subtask, called from one thread. Time comes only from the injected clock, and only its forward
 * steps count, so a wall clock stepped back does not freeze the level.
 *
 * <pre>{@code
 * LevelController controller = LevelController.adaptive(ControllerConfig.defaults(ladder), clockMs);
 * int level = 0;
 * // per batch:
 * Decision d = controller.next(signal, level);
 * level = d.level();
 * }</pre>
 */
public interface LevelController {

    /**
     * The rung for the next batch.
     *
     * @param signal the load when the batch is formed
     * @param currentLevel the rung the previous batch ran at (0 before the first batch); values
     *     outside the ladder are clamped to it
     * @return the decision, never null; its level is a valid rung
     */
    Decision next(LoadSignal signal, int currentLevel);

    /** The configuration this controller runs with. */
    ControllerConfig config();

    /**
     * The adaptive policy described in the class comment.
     *
     * @param config its settings
     * @param clockMs the current time in ms, any origin: {@link MonotonicClock#system()} in a job, a
     *     manual clock in tests; a backward step of it is ignored ({@link MonotonicClock#steady})
     */
    static LevelController adaptive(ControllerConfig config, LongSupplier clockMs) {
        return new AdaptivePolicy(config, clockMs);
    }
}
