package org.tocomstream.control;

import java.io.Serializable;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What to do with frames when even the cheapest rung of the {@link Ladder} cannot keep up: the
 * last resort after compression. The job's setting {@value #MODE} defaults to {@link
 * #DEFAULT_MODE} (bounded frame age beyond the ladder; {@code src/docs/controller.md} gives the
 * reasons); {@link ControllerConfig#builder} starts from {@link #off()}, so a caller of the core
 * decides. A skipped frame is not run through the model but still gets a label record marked
 * {@code skipped}, so no frame disappears.
 *
 * <ul>
 *   <li>{@link Mode#OFF}: never skip; an overload becomes backpressure and a growing frame age.
 *   <li>{@link Mode#DEADLINE}: skip the frames of a batch that are older than an age limit when
 *       the batch is formed; their labels would be late anyway. The limit is {@code deadline}
 *       when one is set ({@link #deadline(Duration)}, setting {@value #DEADLINE}); unset ({@link
 *       #auto()}, the job's default) it follows from the latency target ({@link #ageLimitMs}): a
 *       frame is skipped when its age plus the time until its label leaves the operator (the
 *       rung's measured batch time, and any batch it must wait for) would pass the target less a
 *       {@link #DELIVERY_MARGIN} for the way to the reader and for batches slower than the mean.
 *   <li>{@link Mode#LATEST_PER_STREAM}: of the frames of one stream waiting in the operator, run
 *       only the newest; the older ones are skipped (latest wins).
 * </ul>
 *
 * <pre>{@code
 * Shedding shedding = Shedding.auto();
 * double leaveMs = Shedding.leaveAfterMs(250.0, 0, 1);     // 250 ms batches, none ahead
 * long limit = shedding.ageLimitMs(Duration.ofSeconds(1), 500, leaveMs);  // 650 ms
 * boolean[] skip = shedding.skip(nowMs, captureTimes, streams, limit);
 * }</pre>
 *
 * @param mode the policy (setting {@value #MODE})
 * @param deadline the fixed age above which {@link Mode#DEADLINE} skips a frame (setting {@value
 *     #DEADLINE}), or null for the limit derived from the latency target ({@link #auto()});
 *     ignored by the other modes; at least 1 ms when set
 */
public record Shedding(Mode mode, Duration deadline) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Setting name of {@link #mode()}. */
    public static final String MODE = "vit.control.shed-mode";

    /** Setting name of {@link #deadline()}. */
    public static final String DEADLINE = "vit.control.shed-deadline";

    /**
     * The job's default mode ({@value #MODE}): {@link Mode#DEADLINE}, which bounds frame age once
     * the ladder is exhausted and answers every skipped frame with a label record.
     */
    public static final Mode DEFAULT_MODE = Mode.DEADLINE;

    /**
     * The share of the latency target that {@link #auto()} keeps free after a kept frame's label
     * is predicted to leave the operator: the sink, the label topic and the reader take time the
     * operator cannot see, and a batch can run slower than the rung's mean. Measured: without it
     * (limit = target − mean batch time) the kept frames waited until just inside the limit and
     * the p99 age of the 1.5x phase with 320-px camera frames came out 17 ms over a 1 s target
     * (p50 949 ms, so the labels' spread beyond the prediction was about 70 ms); a tenth of the
     * target covers that spread.
     */
    public static final double DELIVERY_MARGIN = 0.1;

    /** The shedding policy. */
    public enum Mode {
        /** Never skip a frame. */
        OFF,
        /** Skip frames older than the deadline. */
        DEADLINE,
        /** Keep only the newest waiting frame of each stream. */
        LATEST_PER_STREAM
    }

    /** @throws IllegalArgumentException naming the setting */
    public Shedding {
        Objects.requireNonNull(mode, MODE + " must be set");
        if (deadline != null && deadline.toMillis() < 1) {
            throw new IllegalArgumentException(
                    String.format("%s must be at least 1 ms but was %s", DEADLINE, deadline));
        }
    }

    /**
     * The age limit of {@link #auto()} before the rung's batch time is measured: 80 % of the
     * latency target, so that a frame that passes it when its batch is formed still has a fifth
     * of the target for the batch to run (a 2 s deadline with a 1 s target let the 1.5x phase of
     * the overload experiment reach a p99 age of 2.0 s; 800 ms kept it at 0.86 s).
     */
    public static Duration defaultDeadline(Duration latencyTarget) {
        return Duration.ofMillis(Math.max(1, latencyTarget.toMillis() * 4 / 5));
    }

    /** Never skip ({@link ControllerConfig#builder}'s starting point; not the job's default). */
    public static Shedding off() {
        return new Shedding(Mode.OFF, null);
    }

    /** Skip frames older than the fixed {@code deadline} when their batch forms. */
    public static Shedding deadline(Duration deadline) {
        return new Shedding(Mode.DEADLINE, Objects.requireNonNull(deadline, DEADLINE + " must be set"));
    }

    /**
     * Skip frames whose label would leave after the latency target: the job's default ({@value
     * #DEADLINE} unset). See {@link #ageLimitMs}.
     */
    public static Shedding auto() {
        return new Shedding(Mode.DEADLINE, null);
    }

    /** Keep only the newest waiting frame per stream. */
    public static Shedding latestPerStream() {
        return new Shedding(Mode.LATEST_PER_STREAM, null);
    }

    /** Whether this is {@link Mode#DEADLINE} with the limit derived from the latency target. */
    public boolean isAuto() {
        return mode == Mode.DEADLINE && deadline == null;
    }

    /**
     * How long after a batch forms its labels are predicted to leave the operator: its own
     * batch time, after the batches it must wait for to start. A batch is run at once while
     * fewer than {@code concurrency} batches are in flight (the operator cuts one only then, so
     * there it waits for none); otherwise each batch beyond the free slots holds it back until
     * the batches ahead finish, {@code concurrency} at a time. The labels of earlier batches that
     * run beside it leave first but started earlier, so they add nothing.
     *
     * @param batchMs the measured (mean) wall time of a batch at the batch's rung and size, ms,
     *     or NaN when that rung has not run yet
     * @param inFlightBatches batches already in the model or awaiting emission
     * @param concurrency batches the operator runs at once, at least 1
     * @return ms, or NaN when {@code batchMs} is
     */
    public static double leaveAfterMs(double batchMs, int inFlightBatches, int concurrency) {
        if (concurrency < 1 || inFlightBatches < 0) {
            throw new IllegalArgumentException(String.format(
                    "concurrency (%d) must be >= 1 and batches in flight (%d) >= 0", concurrency, inFlightBatches));
        }
        int ahead = Math.max(0, inFlightBatches + 1 - concurrency);
        int rounds = (ahead + concurrency - 1) / concurrency;
        return batchMs * (1 + rounds);
    }

    /**
     * The age above which {@link Mode#DEADLINE} skips a frame of a batch forming now.
     *
     * <ul>
     *   <li>A fixed {@link #deadline()}: that age, whatever the prediction.
     *   <li>{@link #auto()}: {@code latencyTarget × (1 − DELIVERY_MARGIN) − leaveAfterMs}, so
     *       that a frame that is run leaves before the target less the {@link #DELIVERY_MARGIN}
     *       as far as the measured batch time predicts; never below
     *       {@code ageSetpointMs + 1} (the controller aims at that age, so the rule never skips a
     *       frame it counts as on time: when one batch takes longer than the rest of the target,
     *       the target cannot be held by skipping the oldest frames alone); before the rung ran
     *       ({@code leaveAfterMs} NaN), {@link #defaultDeadline} of the target, with the same
     *       floor.
     * </ul>
     *
     * @param latencyTarget the latency target (capture to label)
     * @param ageSetpointMs the controller's setpoint on the oldest frame's age ({@link
     *     ControllerConfig#ageSetpointMs()})
     * @param leaveAfterMs {@link #leaveAfterMs} for the batch, or NaN when unknown
     * @throws IllegalStateException for a mode other than {@link Mode#DEADLINE}
     */
    public long ageLimitMs(Duration latencyTarget, long ageSetpointMs, double leaveAfterMs) {
        if (mode != Mode.DEADLINE) {
            throw new IllegalStateException("no age limit in " + MODE + " = " + mode);
        }
        if (deadline != null) {
            return deadline.toMillis();
        }
        long target = latencyTarget.toMillis();
        long limit = Double.isNaN(leaveAfterMs)
                ? defaultDeadline(latencyTarget).toMillis()
                : (long) Math.floor(target * (1 - DELIVERY_MARGIN) - Math.max(0, leaveAfterMs));
        return Math.max(ageSetpointMs + 1, limit);
    }

    /** Whether this policy may skip anything. */
    public boolean isOn() {
        return mode != Mode.OFF;
    }

    /**
     * Which of a batch's frames to skip with a fixed {@link #deadline()} or a mode without one;
     * {@link #auto()} needs the batch's prediction: {@link #skip(long, long[], List, long)}.
     *
     * @throws IllegalStateException for {@link #auto()}
     */
    public boolean[] skip(long nowMs, long[] captureTs, List<String> streams) {
        if (isAuto()) {
            throw new IllegalStateException(
                    DEADLINE + " is derived from the latency target: pass the" + " batch's age limit (ageLimitMs)");
        }
        return skip(nowMs, captureTs, streams, deadline == null ? Long.MAX_VALUE : deadline.toMillis());
    }

    /**
     * Which of a batch's frames to skip, assuming the controller asked for shedding ({@link
     * Decision#shed()}). Pure: the same inputs give the same answer.
     *
     * @param nowMs the time the batch is formed, epoch ms
     * @param captureTs capture time of each frame, epoch ms, in batch order
     * @param streams stream id of each frame, in batch order (frames of one stream in order)
     * @param ageLimitMs for {@link Mode#DEADLINE}: frames older than this are skipped ({@link
     *     #ageLimitMs}); ignored by the other modes
     * @return one flag per frame, true to skip; never all true for {@link Mode#LATEST_PER_STREAM}
     */
    public boolean[] skip(long nowMs, long[] captureTs, List<String> streams, long ageLimitMs) {
        int n = captureTs.length;
        if (streams.size() != n) {
            throw new IllegalArgumentException(String.format("%d capture times but %d stream ids", n, streams.size()));
        }
        boolean[] out = new boolean[n];
        switch (mode) {
            case OFF:
                break;
            case DEADLINE:
                for (int i = 0; i < n; i++) {
                    out[i] = nowMs - captureTs[i] > ageLimitMs;
                }
                break;
            case LATEST_PER_STREAM:
                // Walk backwards: the first frame seen of a stream is its newest.
                Set<String> seen = new HashSet<>();
                for (int i = n - 1; i >= 0; i--) {
                    out[i] = !seen.add(streams.get(i));
                }
                break;
            default:
                throw new AssertionError(mode);
        }
        return out;
    }
}
