package org.tocomstream.control;

import java.util.Objects;
import java.util.function.LongSupplier;

/** {@link LevelController#adaptive}: feed-forward plus PI on frame age, hysteresis and dwell. */
final class AdaptivePolicy implements LevelController {

    /** Longest step the integral takes at once, so a pause (no batches) does not kick it. */
    static final double MAX_DT_SECONDS = 1.0;

    private final ControllerConfig config;
    private final LongSupplier clockMs;
    private final Ladder ladder;
    private final double setpointMs;
    private final double targetMs;
    private final double horizonSeconds;
    private final long degradeDwellMs;
    private final long restoreDwellMs;
    private final double smoothingSeconds;

    private double integral;
    private double smoothedDemand;
    private boolean started;
    private long calmSinceMs;
    private boolean pressed;
    private long pressureSinceMs;
    private long lastCallMs;
    private boolean changed;
    private long lastChangeMs;
    private int lastLevel = -1;

    AdaptivePolicy(ControllerConfig config, LongSupplier clockMs) {
        this.config = Objects.requireNonNull(config, "config");
        this.clockMs = Objects.requireNonNull(clockMs, "clockMs");
        this.ladder = config.ladder();
        this.setpointMs = config.ageSetpointMs();
        this.targetMs = config.latencyTarget().toMillis();
        this.horizonSeconds = config.drainHorizon().toMillis() / 1000.0;
        this.degradeDwellMs = config.degradeDwell().toMillis();
        this.restoreDwellMs = config.restoreDwell().toMillis();
        this.smoothingSeconds = config.smoothing().toMillis() / 1000.0;
    }

    @Override
    public ControllerConfig config() {
        return config;
    }

    @Override
    public Decision next(LoadSignal signal, int currentLevel) {
        Objects.requireNonNull(signal, "signal");
        int top = ladder.top();
        int current = Math.max(0, Math.min(top, currentLevel));
        long now = clockMs.getAsLong();
        double elapsed = started ? Math.max(0, (now - lastCallMs) / 1000.0) : 0;
        double dt = Math.min(elapsed, MAX_DT_SECONDS);
        lastCallMs = now;
        if (lastLevel >= 0 && current != lastLevel) {
            // Someone else moved the level (a restart, an override): its dwell starts now.
            markChange(now);
        }

        // Feed-forward: the lowest rung whose capacity at the target utilization covers demand.
        double[] msPerFrame = estimates(signal, current);
        double backlog =
                signal.queuedFrames() + Math.max(0, signal.upstreamBacklogFrames());
        double rawDemand = signal.arrivalRatePerSecond() + backlog / horizonSeconds;
        if (!started) {
            calmSinceMs = now;
        }
        if (!started || smoothingSeconds == 0) {
            smoothedDemand = rawDemand;
        } else {
            smoothedDemand += (1 - Math.exp(-elapsed / smoothingSeconds)) * (rawDemand - smoothedDemand);
        }
        started = true;
        double demand = smoothedDemand;
        int feedForward = lowestCovering(msPerFrame, signal.concurrency(), demand);

        // Feedback: PI on the oldest frame's age, in rungs, with conditional integration. Late
        // frames count only while this operator is busy: if it idles, they were late before it.
        double error = (signal.frameAgeMs() - setpointMs) / targetMs;
        double utilization = demand / capacity(msPerFrame, current, signal.concurrency());
        boolean idle = utilization < config.busyUtilization();
        if (error > 0 && idle) {
            error = 0;
        }
        double proportional = config.kp() * error;
        boolean saturatedHigh = feedForward + proportional + integral >= top;
        if (!(error > 0 && saturatedHigh)) {
            integral = clamp(integral + config.ki() * error * dt, 0, top);
        }
        double feedback = Math.max(0, proportional + integral);
        int wanted = feedForward + (int) Math.round(feedback);
        int desired = Math.min(wanted, top);

        int next = current;
        String reason;
        long held = changed ? now - lastChangeMs : Long.MAX_VALUE;
        boolean calm = false;
        if (desired > current) {
            if (!pressed) {
                pressed = true;
                pressureSinceMs = now;
            }
            // Frames older than the setpoint: act now. A forecast alone (the feed-forward, with
            // the age fine) must persist for the degrade dwell, so a spike of the rate is ignored.
            boolean urgent = error > 0 || now - pressureSinceMs >= degradeDwellMs;
            if (held >= degradeDwellMs && urgent) {
                next = desired;
                reason = "degrade";
            } else {
                reason = "dwell";
            }
        } else if (desired < current) {
            int lower = current - 1;
            double capacity = capacity(msPerFrame, lower, signal.concurrency());
            // The restore hysteresis (restore utilization) applies to a measured figure. A figure
            // that is only a conservative estimate (scaled from the current rung by the MACs
            // ratio, which overstates the time of a more accurate rung) would hold the level for
            // good at a light load; there the target utilization decides, and the rung, once
            // run, is measured and judged on its own figure.
            boolean measured = signal.measuredMsPerFrame(lower).orElse(Double.NaN) == msPerFrame[lower];
            double restoreAt = measured ? config.restoreUtilization() : config.targetUtilization();
            boolean lowerCovers = Double.isNaN(capacity) || capacity * restoreAt >= demand;
            calm = error <= 0 && lowerCovers;
            if (!calm) {
                reason = "hysteresis";
            } else if (held < restoreDwellMs || now - calmSinceMs < restoreDwellMs) {
                reason = "dwell";
            } else {
                next = lower;
                reason = "restore";
            }
        } else {
            reason = current == top && wanted > top ? "saturated" : "hold";
        }
        boolean overloaded = next == top && (wanted > top || (current == top && error > 0));
        boolean shed = config.shedding().isOn() && overloaded;
        if (desired <= current || next != current) {
            pressed = false;
        }
        if (next != current || !calm) {
            // A restore needs a whole restore dwell of calm at the level it leaves.
            calmSinceMs = now;
        }
        if (next != current) {
            markChange(now);
        }
        lastLevel = next;
        return new Decision(next, shed, feedForward, feedback, integral, demand, reason);
    }

    private void markChange(long now) {
        changed = true;
        lastChangeMs = now;
    }

    /**
     * Time per frame of every rung: measured where it ran, else the nearest measured rung scaled by
     * the cost model's ratio; NaN everywhere when nothing ran yet.
     *
     * <p>A more accurate rung than {@code current} is never estimated slower than the current
     * rung's own measurement scaled up by the cost model's ratio. That bound is conservative (fixed
     * overheads do not shrink with the tokens, so the true ratio is smaller than the MACs ratio)
     * and always fresh, while the rung's own measurement was taken when it last ran, possibly in a
     * burst of contention; without the bound a stale slow measurement could block the way back
     * for good, because a rung that is not run is never measured again (seen in the overload
     * experiment: held at the top rung at half load).
     */
    double[] estimates(LoadSignal signal, int current) {
        int n = ladder.size();
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = signal.measuredMsPerFrame(i).orElse(Double.NaN);
        }
        if (signal.measuredMsPerFrame(current).isPresent()) {
            double here = signal.measuredMsPerFrame(current).getAsDouble();
            double hereGmacs = ladder.rungs().get(current).predictedGmacs();
            for (int i = 0; i < current; i++) {
                if (!Double.isNaN(out[i])) {
                    double bound = here * ladder.rungs().get(i).predictedGmacs() / hereGmacs;
                    out[i] = Math.min(out[i], bound);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            if (!Double.isNaN(out[i])) {
                continue;
            }
            int nearest = -1;
            for (int d = 1; d < n && nearest < 0; d++) {
                // Prefer the more accurate neighbour: scaling down from it is the cautious side
                // more often, since fixed overheads do not shrink with the tokens.
                if (i - d >= 0 && signal.measuredMsPerFrame(i - d).isPresent()) {
                    nearest = i - d;
                } else if (i + d < n && signal.measuredMsPerFrame(i + d).isPresent()) {
                    nearest = i + d;
                }
            }
            if (nearest >= 0) {
                out[i] =
                        signal.measuredMsPerFrame(nearest).getAsDouble()
                                * ladder.rungs().get(i).predictedGmacs()
                                / ladder.rungs().get(nearest).predictedGmacs();
            }
        }
        return out;
    }

    /** Frames per second rung {@code i} sustains, or NaN when unknown. */
    private static double capacity(double[] msPerFrame, int i, int concurrency) {
        return concurrency * 1000.0 / msPerFrame[i];
    }

    /** The lowest covering rung; {@code size} when none covers; 0 when nothing is known. */
    private int lowestCovering(double[] msPerFrame, int concurrency, double demand) {
        boolean known = false;
        for (int i = 0; i < msPerFrame.length; i++) {
            double capacity = capacity(msPerFrame, i, concurrency);
            if (Double.isNaN(capacity)) {
                continue;
            }
            known = true;
            if (capacity * config.targetUtilization() >= demand) {
                return i;
            }
        }
        return known ? msPerFrame.length : 0;
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    @Override
    public String toString() {
        return "adaptive(" + ladder + ")";
    }
}
