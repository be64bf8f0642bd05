package org.tocomstream.control;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A closed loop for controller tests: a FIFO fluid queue in front of one inference operator that
 * forms a batch every {@link #STEP_MS} ms and asks the controller for its level. Arrivals are
 * Poisson (normal approximation); the operator holds at most {@link #OPERATOR_HOLD} frames, the
 * rest waits upstream, invisible to it (no upstream backlog signal), as with Kafka. The operator
 * measures its arrival rate over the last second, which under backpressure is its throughput.
 *
 * <p>Its forward-pass timer can miss part of the cost of a frame ({@code unseenMs}): on a small
 * machine decoding, the Kafka client and the sink share the cores with the model, so the job's
 * throughput falls short of what the measured forward times promise (the overload experiment: 325
 * frames/s by the forward pass, 224-290 through the job).
 */
final class FluidLoop {

    static final long STEP_MS = 100;
    static final int OPERATOR_HOLD = 16;
    static final long BASE_AGE_MS = 30;

    private final LevelController controller;
    private final double[] trueMsPerFrame;
    private final double unseenMs;
    private final Random random;
    private final double[] servedWindow = new double[(int) (1000 / STEP_MS)];
    private final Map<Integer, Double> measured = new HashMap<>();

    private long nowMs;
    private double backlog;
    private int level;
    private int step;

    final List<Sample> samples = new ArrayList<>();

    /** One step: the time, the arrival rate driven, the level chosen, the oldest frame's age. */
    record Sample(long nowMs, double rate, int level, long ageMs, Decision decision) {}

    FluidLoop(ControllerConfig config, double[] trueMsPerFrame, long seed) {
        this(config, trueMsPerFrame, 0, seed);
    }

    /**
     * A loop whose operator measures {@code unseenMs} less than the true time of each frame: the
     * part of the per-frame cost spent outside the forward pass.
     */
    FluidLoop(ControllerConfig config, double[] trueMsPerFrame, double unseenMs, long seed) {
        this.trueMsPerFrame = trueMsPerFrame;
        this.unseenMs = unseenMs;
        this.random = new Random(seed);
        this.controller = LevelController.adaptive(config, () -> nowMs);
    }

    /** Capacity of rung {@code i}, frames/s. */
    double capacity(int i) {
        return 1000.0 / trueMsPerFrame[i];
    }

    /** Drives {@code ratePerSecond} for {@code durationMs}. */
    FluidLoop run(double ratePerSecond, long durationMs) {
        for (long t = 0; t < durationMs; t += STEP_MS) {
            step(ratePerSecond);
        }
        return this;
    }

    private void step(double rate) {
        double dt = STEP_MS / 1000.0;
        double mean = rate * dt;
        double arrivals = Math.max(0, mean + Math.sqrt(mean) * random.nextGaussian());
        backlog += arrivals;

        double serviceRate = 1000.0 / trueMsPerFrame[level];
        long age = Math.round(BASE_AGE_MS + 1000.0 * backlog / serviceRate);
        double received = 0;
        for (double s : servedWindow) {
            received += s;
        }
        LoadSignal signal = new LoadSignal(
                age,
                (int) Math.min(backlog, OPERATOR_HOLD),
                backlog > 0 ? 1 : 0,
                1,
                received,
                measured,
                LoadSignal.UNKNOWN);
        Decision d = controller.next(signal, level);
        level = d.level();
        samples.add(new Sample(nowMs, rate, level, age, d));

        double served = Math.min(backlog, serviceRate * dt);
        backlog -= served;
        servedWindow[step % servedWindow.length] = served;
        if (served > 0) {
            // The operator's moving estimate: the true time with a few per cent of noise.
            measured.put(level, (trueMsPerFrame[level] - unseenMs) * (1 + 0.03 * random.nextGaussian()));
        }
        step++;
        nowMs += STEP_MS;
    }

    /** Level changes among the samples in [fromMs, toMs). */
    int changes(long fromMs, long toMs) {
        int n = 0;
        Sample prev = null;
        for (Sample s : samples) {
            if (s.nowMs() >= fromMs && s.nowMs() < toMs && prev != null && s.level() != prev.level()) {
                n++;
            }
            prev = s;
        }
        return n;
    }

    /** The p-quantile of the ages in [fromMs, toMs). */
    long ageQuantile(long fromMs, long toMs, double p) {
        long[] ages = samples.stream()
                .filter(s -> s.nowMs() >= fromMs && s.nowMs() < toMs)
                .mapToLong(Sample::ageMs)
                .sorted()
                .toArray();
        return ages[(int) Math.min(ages.length - 1, Math.floor(p * ages.length))];
    }

    /** The first time at or after {@code fromMs} from which the level stays {@code level}. */
    long settledAt(long fromMs, int wanted) {
        long since = -1;
        for (Sample s : samples) {
            if (s.nowMs() < fromMs) {
                continue;
            }
            if (s.level() == wanted) {
                if (since < 0) {
                    since = s.nowMs();
                }
            } else {
                since = -1;
            }
        }
        return since;
    }

    long nowMs() {
        return nowMs;
    }

    int level() {
        return level;
    }
}
