package org.tocomstream.control;

import java.io.Serializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the adaptive {@link LevelController}: immutable, checked in the constructor, every
 * message naming the setting. Build it with {@link #builder(Ladder)}; every setting but the ladder
 * has a default. The job exposes the ladder, latency target, utilizations, dwells and shedding as
 * Flink options under these keys; the age setpoint, smoothing, drain horizon, busy utilization and
 * the PI gains are set through the builder only, and their keys just name them in messages.
 *
 * <pre>{@code
 * ControllerConfig config = ControllerConfig.builder(Ladder.tomeSteps(cost, 3))
 *         .latencyTarget(Duration.ofMillis(500))
 *         .shedding(Shedding.deadline(Duration.ofSeconds(1)))
 *         .build();
 * }</pre>
 *
 * @param ladder the levels to choose from, most accurate first (setting {@value Ladder#SETTING})
 * @param latencyTarget the frame age (capture to label) the controller keeps frames under
 *     (setting {@value #LATENCY_TARGET}, default 1 s)
 * @param ageSetpoint the PI setpoint on the age of a batch's oldest frame when the batch is
 *     formed, as a fraction of the latency target, in (0, 1]; the rest of the target is left for
 *     batching, inference and emission (setting {@value #AGE_SETPOINT}, default 0.5)
 * @param targetUtilization the feed-forward picks the lowest rung whose capacity times this covers
 *     the demand, in (0, 1] (setting {@value #TARGET_UTILIZATION}, default 0.85)
 * @param restoreUtilization a step back to a more accurate rung needs that rung's capacity times
 *     this to cover the demand; below {@code targetUtilization}, the gap is the hysteresis band
 *     (setting {@value #RESTORE_UTILIZATION}, default 0.7)
 * @param smoothing time constant of the exponential average the demand is smoothed with before
 *     the feed-forward uses it; 0 for none (setting {@value #SMOOTHING}, default 2 s)
 * @param drainHorizon the backlog the feed-forward sees is to be drained within this time (setting
 *     {@value #DRAIN_HORIZON}, default 5 s)
 * @param busyUtilization frames older than the setpoint count toward a cheaper level only while
 *     the operator is at least this busy at its current level (demand ÷ capacity), or its capacity
 *     is unknown: frames that are late while the operator idles were delayed before it (a stalled
 *     source, a starved machine), and compression would not help; in [0, 1] (setting {@value
 *     #BUSY_UTILIZATION}, default 0.5)
 * @param kp proportional gain: rungs per unit of age error, the error being (age − setpoint) /
 *     latency target (setting {@value #KP}, default 1.0)
 * @param ki integral gain: rungs per second per unit of age error (setting {@value #KI}, default
 *     0.5)
 * @param degradeDwell the least time at a level before moving to a cheaper one, and how long the
 *     feed-forward alone (frames not older than the setpoint) must ask for a cheaper level before
 *     it is taken (setting {@value #DEGRADE_DWELL}, default 500 ms)
 * @param restoreDwell the least time at a level before moving one rung back toward accuracy; at
 *     least {@code degradeDwell} (setting {@value #RESTORE_DWELL}, default 5 s)
 * @param shedding what to do when the cheapest rung cannot keep up (settings {@value
 *     Shedding#MODE}, {@value Shedding#DEADLINE}; the builder starts from off, the job's
 *     setting defaults to {@link Shedding#DEFAULT_MODE} with the age limit derived from the
 *     latency target, {@link Shedding#auto()}; a fixed deadline must exceed the age setpoint)
 */
public record ControllerConfig(
        Ladder ladder,
        Duration latencyTarget,
        double ageSetpoint,
        double targetUtilization,
        double restoreUtilization,
        Duration smoothing,
        Duration drainHorizon,
        double busyUtilization,
        double kp,
        double ki,
        Duration degradeDwell,
        Duration restoreDwell,
        Shedding shedding)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String LATENCY_TARGET = "vit.control.latency-target";
    public static final String AGE_SETPOINT = "vit.control.age-setpoint";
    public static final String TARGET_UTILIZATION = "vit.control.target-utilization";
    public static final String RESTORE_UTILIZATION = "vit.control.restore-utilization";
    public static final String SMOOTHING = "vit.control.smoothing";
    public static final String DRAIN_HORIZON = "vit.control.drain-horizon";
    public static final String BUSY_UTILIZATION = "vit.control.busy-utilization";
    public static final String KP = "vit.control.kp";
    public static final String KI = "vit.control.ki";
    public static final String DEGRADE_DWELL = "vit.control.degrade-dwell";
    public static final String RESTORE_DWELL = "vit.control.restore-dwell";

    public static final Duration DEFAULT_LATENCY_TARGET = Duration.ofSeconds(1);
    public static final double DEFAULT_AGE_SETPOINT = 0.5;
    public static final double DEFAULT_TARGET_UTILIZATION = 0.85;
    public static final double DEFAULT_RESTORE_UTILIZATION = 0.7;
    public static final Duration DEFAULT_SMOOTHING = Duration.ofSeconds(2);
    public static final Duration DEFAULT_DRAIN_HORIZON = Duration.ofSeconds(5);
    public static final double DEFAULT_BUSY_UTILIZATION = 0.5;
    public static final double DEFAULT_KP = 1.0;
    public static final double DEFAULT_KI = 0.5;
    public static final Duration DEFAULT_DEGRADE_DWELL = Duration.ofMillis(500);
    public static final Duration DEFAULT_RESTORE_DWELL = Duration.ofSeconds(5);

    /** @throws IllegalArgumentException naming the setting */
    public ControllerConfig {
        Objects.requireNonNull(ladder, Ladder.SETTING + " must be set");
        positive(latencyTarget, LATENCY_TARGET);
        if (!(ageSetpoint > 0 && ageSetpoint <= 1)) {
            throw new IllegalArgumentException(
                    String.format("%s must be in (0, 1] but was %s", AGE_SETPOINT, ageSetpoint));
        }
        if (!(targetUtilization > 0 && targetUtilization <= 1)) {
            throw new IllegalArgumentException(
                    String.format("%s must be in (0, 1] but was %s", TARGET_UTILIZATION, targetUtilization));
        }
        if (!(restoreUtilization > 0 && restoreUtilization < targetUtilization)) {
            throw new IllegalArgumentException(String.format(
                    "%s must be in (0, %s = %s) so that a hysteresis band remains, but" + " was %s",
                    RESTORE_UTILIZATION, TARGET_UTILIZATION, targetUtilization, restoreUtilization));
        }
        Objects.requireNonNull(smoothing, SMOOTHING + " must be set");
        if (smoothing.isNegative()) {
            throw new IllegalArgumentException(String.format("%s must be >= 0 but was %s", SMOOTHING, smoothing));
        }
        positive(drainHorizon, DRAIN_HORIZON);
        if (!(busyUtilization >= 0 && busyUtilization <= 1)) {
            throw new IllegalArgumentException(
                    String.format("%s must be in [0, 1] but was %s", BUSY_UTILIZATION, busyUtilization));
        }
        if (!(kp >= 0) || Double.isInfinite(kp)) {
            throw new IllegalArgumentException(String.format("%s must be a finite number >= 0 but was %s", KP, kp));
        }
        if (!(ki >= 0) || Double.isInfinite(ki)) {
            throw new IllegalArgumentException(String.format("%s must be a finite number >= 0 but was %s", KI, ki));
        }
        Objects.requireNonNull(degradeDwell, DEGRADE_DWELL + " must be set");
        Objects.requireNonNull(restoreDwell, RESTORE_DWELL + " must be set");
        if (degradeDwell.isNegative()) {
            throw new IllegalArgumentException(
                    String.format("%s must be >= 0 but was %s", DEGRADE_DWELL, degradeDwell));
        }
        if (restoreDwell.compareTo(degradeDwell) < 0) {
            throw new IllegalArgumentException(String.format(
                    "%s (%s) must be at least %s (%s): restore slowly, degrade fast",
                    RESTORE_DWELL, restoreDwell, DEGRADE_DWELL, degradeDwell));
        }
        Objects.requireNonNull(shedding, Shedding.MODE + " must be set");
        if (shedding.mode() == Shedding.Mode.DEADLINE
                && shedding.deadline() != null
                && shedding.deadline().toMillis() <= ageSetpointMs(latencyTarget, ageSetpoint)) {
            throw new IllegalArgumentException(String.format(
                    "%s (%s) must exceed %s × %s (%d ms): the controller aims at that"
                            + " age, so a shorter deadline would skip frames in normal"
                            + " operation",
                    Shedding.DEADLINE,
                    shedding.deadline(),
                    AGE_SETPOINT,
                    LATENCY_TARGET,
                    ageSetpointMs(latencyTarget, ageSetpoint)));
        }
    }

    /** A builder with every default set. */
    public static Builder builder(Ladder ladder) {
        return new Builder(ladder);
    }

    /** The defaults for {@code ladder}. */
    public static ControllerConfig defaults(Ladder ladder) {
        return builder(ladder).build();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        return new Builder(ladder)
                .latencyTarget(latencyTarget)
                .ageSetpoint(ageSetpoint)
                .targetUtilization(targetUtilization)
                .restoreUtilization(restoreUtilization)
                .smoothing(smoothing)
                .drainHorizon(drainHorizon)
                .busyUtilization(busyUtilization)
                .kp(kp)
                .ki(ki)
                .degradeDwell(degradeDwell)
                .restoreDwell(restoreDwell)
                .shedding(shedding);
    }

    /** The PI setpoint on the oldest frame's age at batch formation, ms. */
    public long ageSetpointMs() {
        return ageSetpointMs(latencyTarget, ageSetpoint);
    }

    /**
     * The age above which {@link Shedding.Mode#DEADLINE} skips a frame of a batch forming now:
     * {@link Shedding#ageLimitMs} with this configuration's latency target and setpoint.
     *
     * @param leaveAfterMs {@link Shedding#leaveAfterMs} for the batch, or NaN when unknown
     */
    public long shedAgeLimitMs(double leaveAfterMs) {
        return shedding.ageLimitMs(latencyTarget, ageSetpointMs(), leaveAfterMs);
    }

    private static long ageSetpointMs(Duration target, double fraction) {
        return Math.round(target.toMillis() * fraction);
    }

    private static void positive(Duration d, String setting) {
        Objects.requireNonNull(d, setting + " must be set");
        if (d.toMillis() < 1) {
            throw new IllegalArgumentException(String.format("%s must be at least 1 ms but was %s", setting, d));
        }
    }

    /** Collects settings; {@link #build()} validates them all. */
    public static final class Builder {
        private final Ladder ladder;
        private Duration latencyTarget = DEFAULT_LATENCY_TARGET;
        private double ageSetpoint = DEFAULT_AGE_SETPOINT;
        private double targetUtilization = DEFAULT_TARGET_UTILIZATION;
        private double restoreUtilization = DEFAULT_RESTORE_UTILIZATION;
        private Duration smoothing = DEFAULT_SMOOTHING;
        private Duration drainHorizon = DEFAULT_DRAIN_HORIZON;
        private double busyUtilization = DEFAULT_BUSY_UTILIZATION;
        private double kp = DEFAULT_KP;
        private double ki = DEFAULT_KI;
        private Duration degradeDwell = DEFAULT_DEGRADE_DWELL;
        private Duration restoreDwell = DEFAULT_RESTORE_DWELL;
        private Shedding shedding = Shedding.off();

        private Builder(Ladder ladder) {
            this.ladder = ladder;
        }

        public Builder latencyTarget(Duration v) {
            latencyTarget = v;
            return this;
        }

        public Builder ageSetpoint(double v) {
            ageSetpoint = v;
            return this;
        }

        public Builder targetUtilization(double v) {
            targetUtilization = v;
            return this;
        }

        public Builder restoreUtilization(double v) {
            restoreUtilization = v;
            return this;
        }

        public Builder smoothing(Duration v) {
            smoothing = v;
            return this;
        }

        public Builder drainHorizon(Duration v) {
            drainHorizon = v;
            return this;
        }

        public Builder busyUtilization(double v) {
            busyUtilization = v;
            return this;
        }

        public Builder kp(double v) {
            kp = v;
            return this;
        }

        public Builder ki(double v) {
            ki = v;
            return this;
        }

        public Builder degradeDwell(Duration v) {
            degradeDwell = v;
            return this;
        }

        public Builder restoreDwell(Duration v) {
            restoreDwell = v;
            return this;
        }

        public Builder shedding(Shedding v) {
            shedding = v;
            return this;
        }

        /** @throws IllegalArgumentException naming the first bad setting */
        public ControllerConfig build() {
            return new ControllerConfig(
                    ladder,
                    latencyTarget,
                    ageSetpoint,
                    targetUtilization,
                    restoreUtilization,
                    smoothing,
                    drainHorizon,
                    busyUtilization,
                    kp,
                    ki,
                    degradeDwell,
                    restoreDwell,
                    shedding);
        }
    }
}
