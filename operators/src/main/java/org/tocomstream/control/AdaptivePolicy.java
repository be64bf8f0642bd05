package org.tocomstream.control;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * {@link LevelController#adaptive}: feed-forward plus PI on frame age, hysteresis and dwell.
 *
 * <p>Under backpressure the operator cannot see the rate frames are produced at: what it receives
 * is capped by what it labels, and the rest waits upstream (in Kafka, in the source's fetch
 * queue) where no signal may reach. What it does see is the age of its oldest frame climbing. For
 * a FIFO server labelling {@code mu} frames/s while {@code lambda} arrive, the oldest frame's age
 * grows at {@code 1 - mu / lambda} seconds per second, so the age trend gives the demand back:
 * {@code lambda = mu / (1 - slope)}. The same moments measure the operator's true capacity at the
 * current rung (what it labels while frames wait), and with it the part of each frame's cost that
 * the forward-pass timer does not see (decoding, the Kafka client, the sink sharing the cores),
 * which every rung's capacity estimate then includes.
 */
final class AdaptivePolicy implements LevelController {

    /** Longest step the integral takes at once, so a pause (no batches) does not kick it. */
    static final double MAX_DT_SECONDS = 1.0;

    /**
     * Age growth, seconds per second, from which frames count as piling up unseen: well above the
     * trend's noise at a steady load (an age jitter of ~50 ms over ten batches gives ~0.05), well
     * below the 0.33 of a 1.5x overload.
     */
    static final double AGING_SLOPE = 0.1;

    /**
     * How far above the fresh bound (the current rung's measurement scaled by the cost model) a
     * lower rung's own figure may be and still count as measured: the bound itself is off by the
     * fixed overheads, some 10-30 %.
     */
    static final double STALE_FIGURE_RATIO = 1.3;

    /** The largest slope believed: demand at most 5x the throughput. */
    static final double MAX_AGING_SLOPE = 0.8;

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
    private final AgeTrend ageTrend = new AgeTrend();
    private double unseenMsPerFrame;

    AdaptivePolicy(ControllerConfig config, LongSupplier clockMs) {
        this.config = Objects.requireNonNull(config, "config");
        // A backward step of the clock given (a wall clock) would hold every dwell until it
        // caught up: only its forward steps count.
        this.clockMs = MonotonicClock.steady(Objects.requireNonNull(clockMs, "clockMs"));
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
        double[] msPerFrame = RungTimes.estimate(ladder, signal, current);
        double slope = ageTrend.add(now, signal.frameAgeMs());
        double arrival = signal.arrivalRatePerSecond();
        int concurrency = signal.concurrency();
        boolean aging = slope >= AGING_SLOPE
                && !(arrival / capacity(msPerFrame, current, concurrency) < config.busyUtilization());
        if (aging && arrival > 0 && now - lastChangeMs >= AgeTrend.WINDOW_MS) {
            learnUnseenCost(msPerFrame[current] / concurrency, arrival, elapsed);
        }
        if (!started) {
            calmSinceMs = now;
        }
        double demand = demand(signal, elapsed, aging, slope);
        started = true;
        int feedForward = lowestCovering(msPerFrame, concurrency, demand);

        // Feedback: PI on the oldest frame's age, in rungs, with conditional integration. Late
        // frames count only while this operator is busy: if it idles, they were late before it.
        double error = (signal.frameAgeMs() - setpointMs) / targetMs;
        double utilization = demand / capacity(msPerFrame, current, concurrency);
        boolean idle = utilization < config.busyUtilization();
        if (error > 0 && idle) {
            error = 0;
        }
        double feedback = feedback(error, feedForward, dt);
        int wanted = feedForward + (int) Math.round(feedback);
        int desired = Math.min(wanted, top);

        Move move;
        if (desired > current) {
            move = degrade(current, desired, error, now);
        } else if (desired < current) {
            int lowest = lowestRestorable(signal, msPerFrame, current, desired, demand);
            move = restore(current, lowest, error, now);
        } else {
            move = new Move(current, current == top && wanted > top ? "saturated" : "hold", false);
        }
        int next = move.level();
        boolean overloaded = next == top && (wanted > top || (current == top && error > 0));
        boolean shed = config.shedding().isOn() && overloaded;
        remember(current, desired, move, now);
        double fullLoad = FullQualityLoad.of(arrival, msPerFrame[0], concurrency, unseenMsPerFrame);
        return new Decision(
                next, shed, feedForward, feedback, integral, demand, slope, unseenMsPerFrame, fullLoad, move.reason());
    }

    /**
     * The level a call settles on, why, and whether the operator is calm enough to restore (the
     * age is fine and a less compressed rung covers the demand).
     */
    private record Move(int level, String reason, boolean calm) {}

    /**
     * Frames per second to plan for: what arrives plus the backlog drained over the horizon,
     * smoothed; while frames pile up unseen, at least the rate the age trend says they are
     * produced at.
     */
    private double demand(LoadSignal signal, double elapsed, boolean aging, double slope) {
        double arrival = signal.arrivalRatePerSecond();
        double backlog = signal.queuedFrames() + Math.max(0, signal.upstreamBacklogFrames());
        double rawDemand = arrival + backlog / horizonSeconds;
        if (!started || smoothingSeconds == 0) {
            smoothedDemand = rawDemand;
        } else {
            double weight = 1 - Math.exp(-elapsed / smoothingSeconds);
            smoothedDemand += weight * (rawDemand - smoothedDemand);
        }
        double demand = smoothedDemand;
        if (aging) {
            // What arrives is capped by what is labelled; the age trend says how much more comes.
            double produced = arrival / (1 - Math.min(slope, MAX_AGING_SLOPE));
            demand = Math.max(demand, produced + backlog / horizonSeconds);
        }
        return demand;
    }

    /**
     * The PI term, in rungs above the feed-forward. The integral does not grow while frames are
     * late and the sum already reaches the top rung (conditional integration, no wind-up).
     */
    private double feedback(double error, int feedForward, double dt) {
        int top = ladder.top();
        double proportional = config.kp() * error;
        boolean saturatedHigh = feedForward + proportional + integral >= top;
        if (!(error > 0 && saturatedHigh)) {
            integral = clamp(integral + config.ki() * error * dt, 0, top);
        }
        return Math.max(0, proportional + integral);
    }

    /** Up to {@code desired}, more compressed, once the pressure is urgent and the level held. */
    private Move degrade(int current, int desired, double error, long now) {
        if (!pressed) {
            pressed = true;
            pressureSinceMs = now;
        }
        // Frames older than the setpoint: act now. A forecast alone (the feed-forward, with
        // the age fine) must persist for the degrade dwell, so a spike of the rate is ignored.
        boolean urgent = error > 0 || now - pressureSinceMs >= degradeDwellMs;
        if (heldMs(now) >= degradeDwellMs && urgent) {
            return new Move(desired, "degrade", false);
        }
        return new Move(current, "dwell", false);
    }

    /**
     * The lowest rung down to the desired one that covers the demand with the restore margin:
     * after a burst the way back is one restore dwell, not one dwell per rung.
     */
    private int lowestRestorable(LoadSignal signal, double[] msPerFrame, int current, int desired, double demand) {
        int lowest = current;
        for (int lower = current - 1; lower >= desired && covers(signal, msPerFrame, lower, demand); lower--) {
            lowest = lower;
        }
        return lowest;
    }

    /**
     * Down to {@code lowest}, a less compressed rung, once the age is fine and both the level and
     * the calm have lasted a restore dwell.
     */
    private Move restore(int current, int lowest, double error, long now) {
        boolean calm = error <= 0 && lowest < current;
        if (!calm) {
            return new Move(current, "hysteresis", false);
        }
        if (heldMs(now) < restoreDwellMs || now - calmSinceMs < restoreDwellMs) {
            return new Move(current, "dwell", true);
        }
        return new Move(lowest, "restore", true);
    }

    /** What the next call starts from: the pressure, the calm and the level this call left. */
    private void remember(int current, int desired, Move move, long now) {
        int next = move.level();
        if (desired <= current || next != current) {
            pressed = false;
        }
        if (next != current || !move.calm()) {
            // A restore needs a whole restore dwell of calm at the level it leaves.
            calmSinceMs = now;
        }
        if (next != current) {
            markChange(now);
        }
        lastLevel = next;
    }

    /** How long the level has been held, or forever if it never changed. */
    private long heldMs(long now) {
        return changed ? now - lastChangeMs : Long.MAX_VALUE;
    }

    /**
     * Whether rung {@code lower} covers {@code demand} with the restore margin. The restore
     * hysteresis (restore utilization) applies to a measured figure. A figure that is only a
     * conservative estimate (scaled from the current rung by the MACs ratio, which overstates the
     * time of a more accurate rung) would hold the level for good at a light load; there the
     * target utilization decides, and the rung, once run, is measured and judged on its own
     * figure. Its own figure counts as measured unless the bound replaced it by far (a stale
     * figure from a burst of contention); within the bound's own error it is the better figure,
     * and without the band a rung would restore at the target utilization and degrade again at
     * the next blip (seen in the closed loop at 1.0x a rung's capacity).
     */
    private boolean covers(LoadSignal signal, double[] msPerFrame, int lower, double demand) {
        double capacity = capacity(msPerFrame, lower, signal.concurrency());
        boolean measured = signal.measuredMsPerFrame(lower).orElse(Double.POSITIVE_INFINITY)
                <= STALE_FIGURE_RATIO * msPerFrame[lower];
        double restoreAt = measured ? config.restoreUtilization() : config.targetUtilization();
        return Double.isNaN(capacity) || capacity * restoreAt >= demand;
    }

    /**
     * While frames pile up at an unchanged rung, what the operator receives is what it labels: the
     * true time per frame is {@code 1000 / arrival} ms, of which the forward pass accounts for
     * {@code seenMs}. The rest, a moving estimate, is added to every rung's time per frame; it is
     * bounded by the forward time itself, so a burst of contention can at most halve a capacity.
     */
    private void learnUnseenCost(double seenMs, double arrival, double elapsedSeconds) {
        if (!(seenMs > 0)) {
            return;
        }
        double observed = Math.max(0, Math.min(seenMs, 1000.0 / arrival - seenMs));
        double weight = smoothingSeconds == 0 ? 1 : 1 - Math.exp(-elapsedSeconds / smoothingSeconds);
        unseenMsPerFrame += weight * (observed - unseenMsPerFrame);
    }

    private void markChange(long now) {
        changed = true;
        lastChangeMs = now;
    }

    /**
     * Frames per second rung {@code i} sustains, or NaN when unknown: {@code concurrency} batches
     * at once through the forward pass, plus the learnt per-frame cost the forward timer misses.
     */
    private double capacity(double[] msPerFrame, int i, int concurrency) {
        return 1000.0 / (msPerFrame[i] / concurrency + unseenMsPerFrame);
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
