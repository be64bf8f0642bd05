package org.tocomstream.job.capacity;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.tocomstream.control.ControllerConfig;
import org.tocomstream.control.ScalingConfig;
import org.tocomstream.control.ScalingPolicy;

/**
 * One strategy's run over a {@link CapacityTrace}: deterministic, on a simulated clock, in steps
 * of {@link Settings#stepMs()}. The cameras' frames spread evenly over the subtasks (keyed
 * cameras, evenly loaded). A rescale stops the job for {@link Settings#restartMs()} (stop with a
 * savepoint, restore at the new parallelism): the frames keep arriving and wait, the slots of
 * both sizes are paid, and the restored subtasks start with fresh controllers and no
 * measurements (neither is in the savepoint), the waiting frames spread over them.
 */
final class CapacitySimulation {

    /**
     * The run's settings.
     *
     * @param stepMs simulated time per step (each subtask forms one batch decision per step)
     * @param restartMs downtime of one rescale
     * @param evaluationMs how often the scaler reads the averaged gauges (a metrics reporting
     *     interval)
     * @param controller the level controller's settings, the job's defaults
     * @param scaling the scaler's settings
     */
    record Settings(
            long stepMs, long restartMs, long evaluationMs, ControllerConfig controller, ScalingConfig scaling) {}

    /**
     * A strategy: autoscaled from {@code parallelism}, or fixed at it.
     *
     * @param name short name for tables
     * @param description what it is
     * @param parallelism the starting (or fixed) parallelism
     * @param autoscale whether the {@link ScalingPolicy} rescales it
     */
    record Strategy(String name, String description, int parallelism, boolean autoscale) {}

    /** A rescale the policy asked for: when (s), from, to, why. */
    record Rescale(double atSeconds, int from, int to, String reason) {}

    /**
     * The run's outcome.
     *
     * @param strategy what ran
     * @param tally frames, ages, per-second series
     * @param slotSeconds slots held × seconds
     * @param rescales the rescales, in order
     * @param unfinishedFrames frames still waiting at the end
     */
    record Outcome(
            Strategy strategy, SimTally tally, double slotSeconds, List<Rescale> rescales, double unfinishedFrames) {}

    private final SimLadder ladder;
    private final CapacityTrace trace;
    private final Settings settings;

    CapacitySimulation(SimLadder ladder, CapacityTrace trace, Settings settings) {
        this.ladder = ladder;
        this.trace = trace;
        this.settings = settings;
    }

    Outcome run(Strategy strategy) {
        Run run = new Run(strategy);
        for (long now = settings.stepMs(); now <= trace.totalMs(); now += settings.stepMs()) {
            run.step(now);
        }
        double unfinished =
                run.subtasks.stream().mapToDouble(SimSubtask::queued).sum();
        return new Outcome(strategy, run.tally, run.slotSeconds, run.rescales, unfinished);
    }

    /** One strategy's run in progress: the subtasks, the scaler, a restart under way, the sums. */
    private final class Run {
        final AtomicLong clock = new AtomicLong();
        final long step = settings.stepMs();
        final int stepsPerSecond = (int) Math.max(1, 1000 / step);
        final ScalingPolicy policy;
        final SimTally tally = new SimTally(ladder.size());
        final List<Rescale> rescales = new ArrayList<>();
        List<SimSubtask> subtasks;
        int p;
        int next;
        long restartUntil = -1;
        double slotSeconds;
        /** Per subtask, the sum and count of its full-quality load since the scaler last read it. */
        double[] loadSum;

        int[] loadCount;
        /** This second's sums and counts of the busiest subtask's load and busy fraction. */
        double[] second = new double[4];

        Run(Strategy strategy) {
            policy = strategy.autoscale() ? ScalingPolicy.of(settings.scaling(), clock::get) : null;
            p = strategy.parallelism();
            next = p;
            subtasks = subtasks(p, List.of(), clock, stepsPerSecond);
            loadSum = new double[p];
            loadCount = new int[p];
        }

        void step(long now) {
            clock.set(now);
            if (restartUntil >= 0 && now > restartUntil) {
                // Restored: fresh subtasks (no controller state, no measurements) share the waiting frames.
                subtasks = subtasks(next, subtasks, clock, stepsPerSecond);
                p = next;
                loadSum = new double[p];
                loadCount = new int[p];
                restartUntil = -1;
                policy.rescaled();
            }
            boolean restarting = restartUntil >= 0;
            double frames = trace.load(now - step / 2.0) * ladder.slotFramesPerSecond() * step / 1000.0;
            tally.arrived += frames;
            for (SimSubtask s : subtasks) {
                s.arrive(now - step / 2.0, frames / subtasks.size());
            }
            slotSeconds += (restarting ? Math.max(p, next) : p) * step / 1000.0;
            if (!restarting) {
                serve(now);
                if (policy != null && now % settings.evaluationMs() == 0) {
                    evaluate(now, frames * 1000.0 / step);
                }
            }
            if (now % 1000 == 0) {
                int slots = restartUntil >= 0 ? Math.max(p, next) : p;
                tally.closeSecond((int) (now / 1000) - 1, slots, second[0] / second[1], second[2] / second[3]);
                second = new double[4];
            }
        }

        private void serve(long now) {
            double peakLoad = Double.NaN;
            double peakBusy = 0;
            for (int i = 0; i < subtasks.size(); i++) {
                SimSubtask s = subtasks.get(i);
                s.serve(now, step, tally);
                double load = s.fullQualityLoad();
                if (!Double.isNaN(load)) {
                    loadSum[i] += load;
                    loadCount[i]++;
                    peakLoad = maxKnown(peakLoad, load);
                }
                peakBusy = Math.max(peakBusy, s.busy());
            }
            if (!Double.isNaN(peakLoad)) {
                second[0] += peakLoad;
                second[1]++;
            }
            second[2] += peakBusy;
            second[3]++;
        }

        /** The scaler reads each subtask's mean load since its last read, as a reporter averages a gauge. */
        private void evaluate(long now, double ratePerSecond) {
            double peak = Double.NaN;
            for (int i = 0; i < p; i++) {
                if (loadCount[i] > 0) {
                    peak = maxKnown(peak, loadSum[i] / loadCount[i]);
                }
            }
            loadSum = new double[p];
            loadCount = new int[p];
            double backlog = subtasks.stream().mapToDouble(SimSubtask::queued).sum();
            ScalingPolicy.Recommendation r =
                    policy.next(new ScalingPolicy.Signal(p, peak, ratePerSecond > 0 ? backlog / ratePerSecond : 0));
            if (r.rescales(p)) {
                rescales.add(new Rescale(now / 1000.0, p, r.parallelism(), r.reason()));
                next = r.parallelism();
                restartUntil = now + settings.restartMs();
            }
        }
    }

    /** {@code n} fresh subtasks holding the frames {@code before} left waiting, spread evenly. */
    private List<SimSubtask> subtasks(int n, List<SimSubtask> before, AtomicLong clock, int stepsPerSecond) {
        List<double[]> waiting = new ArrayList<>();
        for (SimSubtask s : before) {
            waiting.addAll(s.takeAll());
        }
        waiting.sort(Comparator.comparingDouble(c -> c[0]));
        List<SimSubtask> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            SimSubtask s = new SimSubtask(ladder, settings.controller(), clock::get, stepsPerSecond);
            for (double[] chunk : waiting) {
                s.arrive(chunk[0], chunk[1] / n);
            }
            out.add(s);
        }
        return out;
    }

    private static double maxKnown(double a, double b) {
        return Double.isNaN(a) ? b : Double.isNaN(b) ? a : Math.max(a, b);
    }
}
