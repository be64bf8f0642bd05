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
 *   <li>{@link Mode#DEADLINE}: skip the frames of a batch that are older than {@code deadline}
 *       when the batch is formed; their labels would be late anyway.
 *   <li>{@link Mode#LATEST_PER_STREAM}: of the frames of one stream waiting in the operator, run
 *       only the newest; the older ones are skipped (latest wins).
 * </ul>
 *
 * <pre>{@code
 * Shedding shedding = Shedding.deadline(Duration.ofSeconds(2));
 * boolean[] skip = shedding.skip(nowMs, captureTimes, streams);
 * }</pre>
 *
 * @param mode the policy (setting {@value #MODE})
 * @param deadline the age above which {@link Mode#DEADLINE} skips a frame (setting {@value
 *     #DEADLINE}); ignored by the other modes but always positive
 */
public record Shedding(Mode mode, Duration deadline) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Setting name of {@link #mode()}. */
    public static final String MODE = "vit.control.shed-mode";

    /** Setting name of {@link #deadline()}. */
    public static final String DEADLINE = "vit.control.shed-deadline";

    /** Default {@link #deadline()}: {@link #defaultDeadline} of the default latency target, 800 ms. */
    public static final Duration DEFAULT_DEADLINE = defaultDeadline(ControllerConfig.DEFAULT_LATENCY_TARGET);

    /**
     * The job's default mode ({@value #MODE}): {@link Mode#DEADLINE}, which bounds frame age once
     * the ladder is exhausted and answers every skipped frame with a label record.
     */
    public static final Mode DEFAULT_MODE = Mode.DEADLINE;

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
        Objects.requireNonNull(deadline, DEADLINE + " must be set");
        if (deadline.toMillis() < 1) {
            throw new IllegalArgumentException(
                    String.format("%s must be at least 1 ms but was %s", DEADLINE, deadline));
        }
    }

    /**
     * The deadline that goes with a latency target when none is set: 80 % of it, so that a frame
     * that passes the deadline when its batch is formed still has a fifth of the target for the
     * batch to run before it is late (a 2 s deadline with a 1 s target let the 1.5x phase of the
     * overload experiment reach a p99 age of 2.0 s; 800 ms kept it at 0.86 s).
     */
    public static Duration defaultDeadline(Duration latencyTarget) {
        return Duration.ofMillis(Math.max(1, latencyTarget.toMillis() * 4 / 5));
    }

    /** Never skip ({@link ControllerConfig#builder}'s starting point; not the job's default). */
    public static Shedding off() {
        return new Shedding(Mode.OFF, DEFAULT_DEADLINE);
    }

    /** Skip frames older than {@code deadline}. */
    public static Shedding deadline(Duration deadline) {
        return new Shedding(Mode.DEADLINE, deadline);
    }

    /** Keep only the newest waiting frame per stream. */
    public static Shedding latestPerStream() {
        return new Shedding(Mode.LATEST_PER_STREAM, DEFAULT_DEADLINE);
    }

    /** Whether this policy may skip anything. */
    public boolean isOn() {
        return mode != Mode.OFF;
    }

    /**
     * Which of a batch's frames to skip, assuming the controller asked for shedding ({@link
     * Decision#shed()}). Pure: the same inputs give the same answer.
     *
     * @param nowMs the time the batch is formed, epoch ms
     * @param captureTs capture time of each frame, epoch ms, in batch order
     * @param streams stream id of each frame, in batch order (frames of one stream in order)
     * @return one flag per frame, true to skip; never all true for {@link Mode#LATEST_PER_STREAM}
     */
    public boolean[] skip(long nowMs, long[] captureTs, List<String> streams) {
        int n = captureTs.length;
        if (streams.size() != n) {
            throw new IllegalArgumentException(String.format("%d capture times but %d stream ids", n, streams.size()));
        }
        boolean[] out = new boolean[n];
        switch (mode) {
            case OFF:
                break;
            case DEADLINE:
                long limit = deadline.toMillis();
                for (int i = 0; i < n; i++) {
                    out[i] = nowMs - captureTs[i] > limit;
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
