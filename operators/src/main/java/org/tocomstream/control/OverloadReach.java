package org.tocomstream.control;

import java.util.Locale;
import java.util.Objects;
import org.tocomstream.compress.CompressionLevel;

/**
 * How much overload a {@link Ladder} can absorb and what happens beyond it, for the line the job
 * prints at start. The factor is the ladder's top rung's speed-up over rung 0: the offered frame
 * rate, as a multiple of the rate rung 0 keeps up with, that the controller can still label by
 * degrading alone. Above it the {@link Shedding} policy decides.
 *
 * <ul>
 *   <li>{@link #measured}: the top rung's end-to-end speed-up as the {@code ladder} command
 *       measured it ({@link MeasuredLadder}: decode, preprocessing and inference at the deployment
 *       batch size);
 *   <li>{@link #costModel}: rung 0's MACs over the top rung's, the cost model's figure. It is an
 *       upper bound by intent, not a guarantee: decoding, preprocessing and the Kafka client cost
 *       the same at every rung, so the end-to-end speed-up is usually lower, the more so the
 *       larger the frames (with tiny frames and large batches it can come out slightly above).
 * </ul>
 *
 * <pre>{@code
 * OverloadReach r = OverloadReach.costModel(ladder, Shedding.deadline(Duration.ofMillis(800)));
 * r.factor();                 // 2.63 for none;tome:2;tome:4;tome:6 on vit_demo
 * r.describe("/models/cams"); // overload: absorbs at most 2.63x ... beyond that: ...
 * }</pre>
 *
 * @param factor the top rung's speed-up over rung 0 (1 for a ladder of one rung)
 * @param basis where the factor comes from
 * @param top the top rung's level
 * @param bottom rung 0's level
 * @param measuredAt {@link MeasuredLadder#createdAt()} for {@link Basis#MEASURED}, else null
 * @param batch the batch size it was measured at for {@link Basis#MEASURED}, else 0
 * @param shedding what happens beyond the factor
 */
public record OverloadReach(
        double factor,
        Basis basis,
        CompressionLevel top,
        CompressionLevel bottom,
        String measuredAt,
        int batch,
        Shedding shedding) {

    /** Where the factor comes from. */
    public enum Basis {
        /** End to end, measured by the {@code ladder} command. */
        MEASURED,
        /** The cost model's MACs ratio: meant as an upper bound of the end-to-end figure, not measured. */
        COST_MODEL
    }

    /** @throws IllegalArgumentException when the factor is not a positive finite number */
    public OverloadReach {
        Objects.requireNonNull(basis, "basis");
        Objects.requireNonNull(top, "top");
        Objects.requireNonNull(bottom, "bottom");
        Objects.requireNonNull(shedding, Shedding.MODE + " must be set");
        if (!(factor > 0) || Double.isInfinite(factor)) {
            throw new IllegalArgumentException("overload factor must be a positive number but was " + factor);
        }
    }

    /** The cost model's figure for {@code ladder}: rung 0's predicted MACs over the top rung's. */
    public static OverloadReach costModel(Ladder ladder, Shedding shedding) {
        double factor = ladder.rungs().get(0).predictedGmacs()
                / ladder.rungs().get(ladder.top()).predictedGmacs();
        return new OverloadReach(
                factor, Basis.COST_MODEL, ladder.level(ladder.top()), ladder.level(0), null, 0, shedding);
    }

    /**
     * The measured figure: the speed-up {@code measured} recorded for {@code ladder}'s top rung (its
     * rung entry, else its candidate entry). Falls back to {@link #costModel} when the top rung was
     * not measured there (a configured ladder with other levels) or rung 0 is not {@code none}.
     */
    public static OverloadReach measured(Ladder ladder, MeasuredLadder measured, Shedding shedding) {
        CompressionLevel top = ladder.level(ladder.top());
        if (ladder.top() == 0 || !ladder.level(0).equals(CompressionLevel.none())) {
            return ladder.top() == 0
                    ? new OverloadReach(1, Basis.MEASURED, top, top, measured.createdAt(), measured.batch(), shedding)
                    : costModel(ladder, shedding);
        }
        double speedup = Double.NaN;
        for (MeasuredLadder.Rung r : measured.rungs()) {
            if (r.reachable() && CompressionLevel.parse(r.level()).equals(top)) {
                speedup = Double.isNaN(speedup) ? r.speedup() : Math.max(speedup, r.speedup());
            }
        }
        if (Double.isNaN(speedup)) {
            for (MeasuredLadder.Candidate c : measured.candidates()) {
                if (CompressionLevel.parse(c.level()).equals(top)) {
                    speedup = c.speedup();
                }
            }
        }
        if (Double.isNaN(speedup) || !(speedup > 0)) {
            return costModel(ladder, shedding);
        }
        return new OverloadReach(
                speedup, Basis.MEASURED, top, ladder.level(0), measured.createdAt(), measured.batch(), shedding);
    }

    /**
     * The start line: how much overload the ladder absorbs, on what basis, and what happens
     * beyond it.
     *
     * @param modelDir the model directory, for the {@code ladder} command that measures it
     */
    public String describe(String modelDir) {
        String reach;
        if (top.equals(bottom)) {
            reach = String.format(
                    Locale.ROOT, "absorbs none: the ladder has one rung (%s), so the controller cannot degrade", top);
        } else if (basis == Basis.MEASURED) {
            reach = String.format(
                    Locale.ROOT,
                    "absorbs up to %.2fx the frame rate level %s keeps up with, end to end (top rung %s),"
                            + " measured by `ladder` on %s at batch %d",
                    factor,
                    bottom,
                    top,
                    measuredAt,
                    batch);
        } else {
            reach = String.format(
                    Locale.ROOT,
                    "absorbs at most %.2fx the frame rate level %s keeps up with, by the cost model alone"
                            + " (top rung %s costs %.2f of %s's MACs); a model-only upper bound, not"
                            + " measured: decode, preprocessing and Kafka cost the same at every rung, so"
                            + " end to end it is usually lower; measure it with `ladder --model %s --images"
                            + " FRAMES_DIR`",
                    factor,
                    bottom,
                    top,
                    1 / factor,
                    bottom,
                    modelDir);
        }
        return "overload: " + reach + "; beyond that: " + beyond(shedding);
    }

    /** What happens to frames the top rung cannot keep up with under {@code shedding}. */
    public static String beyond(Shedding shedding) {
        switch (shedding.mode()) {
            case DEADLINE:
                if (shedding.isAuto()) {
                    return "frames whose age when their batch forms plus the top rung's measured batch"
                            + " time would pass " + Math.round(100 * (1 - Shedding.DELIVERY_MARGIN))
                            + " % of the latency target are skipped (" + Shedding.MODE
                            + " = DEADLINE, " + Shedding.DEADLINE + " not set), each answered by a label"
                            + " record marked skipped";
                }
                return "frames older than " + shedding.deadline().toMillis()
                        + " ms when their batch forms are skipped (" + Shedding.MODE
                        + " = DEADLINE), each answered by a label record marked skipped";
            case LATEST_PER_STREAM:
                return "only the newest waiting frame of each stream runs (" + Shedding.MODE
                        + " = LATEST_PER_STREAM), the older ones answered by label records marked skipped";
            case OFF:
                return "frame age grows without bound (shedding off, " + Shedding.MODE + " = OFF)";
            default:
                throw new AssertionError(shedding.mode());
        }
    }
}
