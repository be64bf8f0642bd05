package org.tocomstream.job.capacity;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.tocomstream.control.ControllerConfig;
import org.tocomstream.control.Decision;
import org.tocomstream.control.LevelController;
import org.tocomstream.control.LoadSignal;
import org.tocomstream.control.Shedding;

/**
 * One inference subtask as a fluid FIFO: frames arrive in chunks (one per step, stamped with the
 * step's middle), wait upstream and in the operator, and are labelled at the rung the real
 * adaptive {@link LevelController} picks each step, at the ladder's true time per frame. The
 * operator sees what the job's operator sees: the age of its oldest frame, at most {@link
 * #OPERATOR_HOLD} frames queued (the rest waits upstream, unseen), the frames it received over the
 * last second, and the time per frame of the rungs it ran (no upstream backlog signal). Under the
 * job's default shedding ({@link Shedding.Mode#DEADLINE}) a decision that sheds skips the frames
 * older than the age limit for the rung's batch time.
 */
final class SimSubtask {

    /** Frames the operator holds (buffer and batch in flight); the rest waits upstream. */
    static final int OPERATOR_HOLD = 16;

    private final SimLadder ladder;
    private final ControllerConfig config;
    private final LevelController controller;
    private final ArrayDeque<double[]> queue = new ArrayDeque<>();
    private final Map<Integer, Double> measured = new HashMap<>();
    private final double[] receivedWindow;
    private double queued;
    private int step;
    private int level;
    private double fullQualityLoad = Double.NaN;
    private double busy;

    /**
     * @param stepsPerSecond steps in one second: the received rate is summed over that many
     */
    SimSubtask(SimLadder ladder, ControllerConfig config, LongSupplier clockMs, int stepsPerSecond) {
        this.ladder = ladder;
        this.config = config;
        this.controller = LevelController.adaptive(config, clockMs);
        this.receivedWindow = new double[stepsPerSecond];
    }

    /** Frames arriving, stamped {@code atMs}. */
    void arrive(double atMs, double frames) {
        if (frames > 0) {
            queue.addLast(new double[] {atMs, frames});
            queued += frames;
        }
    }

    /** Every waiting chunk ({atMs, frames}), in order, removed from this subtask. */
    List<double[]> takeAll() {
        List<double[]> out = new ArrayList<>(queue);
        queue.clear();
        queued = 0;
        return out;
    }

    double queued() {
        return queued;
    }

    /** The full-quality load of the latest decision, NaN while unknown. */
    double fullQualityLoad() {
        return fullQualityLoad;
    }

    /** The busy fraction of the latest step at the rung it ran. */
    double busy() {
        return busy;
    }

    /** One step of {@code dtMs} starting at {@code nowMs}: a decision, shedding, labelling. */
    void serve(long nowMs, long dtMs, SimTally tally) {
        long age = queue.isEmpty() ? 0 : Math.max(0, Math.round(nowMs - queue.peekFirst()[0]));
        double received = 0;
        for (double r : receivedWindow) {
            received += r;
        }
        LoadSignal signal = new LoadSignal(
                age,
                (int) Math.ceil(Math.min(queued, OPERATOR_HOLD)),
                queued > OPERATOR_HOLD ? 1 : 0,
                1,
                received,
                measured,
                LoadSignal.UNKNOWN);
        Decision d = controller.next(signal, level);
        level = d.level();
        fullQualityLoad = d.fullQualityLoad();
        double ms = ladder.msPerFrame()[level];
        double batchMs = ladder.batch() * ms;
        double skipped = d.shed() && config.shedding().mode() == Shedding.Mode.DEADLINE ? shed(nowMs, batchMs) : 0;
        tally.skipped(skipped);

        double capacity = dtMs / ms;
        double served = 0;
        while (served < capacity && !queue.isEmpty()) {
            double[] chunk = queue.peekFirst();
            double take = Math.min(chunk[1], capacity - served);
            tally.labelled(level, take, nowMs - chunk[0] + batchMs);
            served += take;
            chunk[1] -= take;
            if (chunk[1] <= 1e-9) {
                queue.pollFirst();
            }
        }
        queued = Math.max(0, queued - served);
        if (served > 0) {
            measured.put(level, ms);
        }
        receivedWindow[step % receivedWindow.length] = served + skipped;
        busy = served * ms / dtMs;
        step++;
    }

    /** Skips the frames older than the age limit of a batch at this rung; how many. */
    private double shed(long nowMs, double batchMs) {
        double leave = measured.containsKey(level) ? Shedding.leaveAfterMs(batchMs, 0, 1) : Double.NaN;
        long limit = config.shedAgeLimitMs(leave);
        double skipped = 0;
        while (!queue.isEmpty() && nowMs - queue.peekFirst()[0] > limit) {
            skipped += queue.pollFirst()[1];
        }
        queued = Math.max(0, queued - skipped);
        return skipped;
    }
}
