package org.tocomstream.stream;

import java.io.Serializable;
import java.util.List;
import java.util.function.LongSupplier;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenGeometry;
import org.tocomstream.control.ControllerConfig;

/**
 * Where the batching inference operator gets the plan of each batch. The operator asks once per
 * batch, on its task thread, with a {@link LoadSignals} snapshot and the batch's frames, and gets
 * one immutable {@link BatchPlan}: the level it writes into every label of that batch, the frames
 * to skip, and the rest of the decision.
 *
 * <p>{@link #fixed(CompressionLevel)} always answers one level; {@link #adaptive(ControllerConfig)}
 * runs the load controller ({@link org.tocomstream.control.LevelController}) on the signals and may
 * also skip frames under overload. Flink serializes the instance given to the operator and each
 * parallel subtask gets its own copy, so an implementation may keep per-subtask state in fields
 * (transient or not) but must not share mutable state through statics.
 *
 * <pre>{@code
 * LevelSource levels = LevelSource.fixed(CompressionLevel.parse("tome:8"));
 * LevelSource adaptive = LevelSource.adaptive(
 *         ControllerConfig.defaults(Ladder.parse(cost, "none;tome:2;tome:4;tome:6")));
 * // in the operator, per batch:
 * BatchPlan plan = levels.plan(signals, frames);
 * }</pre>
 */
public interface LevelSource extends Serializable {

    /**
     * Called once per subtask before the first batch.
     *
     * @param clockMs the operator's processing-time clock, epoch ms (a test harness controls it)
     */
    default void open(LongSupplier clockMs) throws Exception {}

    /**
     * The plan for the batch being cut: its level, the frames to skip, the rung and the reason for
     * logs, and whether the buffer that fills next coalesces streams (see {@link BatchPlan} for
     * when the operator reads each part). The operator calls this once per batch, on its task
     * thread, and asks nothing else about the batch.
     *
     * @param signals the load measured as the batch is cut
     * @param batch the batch's frames, in order ({@code signals.batchSize()} of them)
     * @return the plan, never null; its skip flags are empty or one per frame of {@code batch}
     */
    BatchPlan plan(LoadSignals signals, List<DecodedFrame> batch);

    /**
     * Fails unless every level this source may answer fits a model of {@code geometry} ({@link
     * CompressionLevel#misfit}); the operator calls it once its model is open. A source that
     * cannot list its levels checks nothing.
     *
     * @param model how the message names the model, e.g. {@code the model vit_demo@1a2b3c4d}
     * @throws IllegalArgumentException naming the setting, the level and why it does not fit
     */
    default void requireFits(TokenGeometry geometry, String model) {}

    /**
     * Whether this source may answer the {@link CompressionLevel#student() student} level, which
     * needs a predictor with a student; a source that cannot list its levels says no.
     */
    default boolean usesStudent() {
        return false;
    }

    /** Called once per subtask when the operator closes. */
    default void close() throws Exception {}

    /** Always {@code level}, whatever the signals say. */
    static LevelSource fixed(CompressionLevel level) {
        return new FixedLevelSource(level);
    }

    /**
     * The adaptive controller ({@link org.tocomstream.control.LevelController#adaptive}) over
     * {@code config}'s ladder, with its shedding policy; the controller measures its intervals on
     * a monotonic clock ({@link ControllerClock#MONOTONIC}), frame ages on processing time.
     */
    static LevelSource adaptive(ControllerConfig config) {
        return adaptive(config, ControllerClock.MONOTONIC);
    }

    /**
     * {@link #adaptive(ControllerConfig)} with the controller's intervals measured on {@code
     * clock}: {@link ControllerClock#PROCESSING_TIME} lets a test harness drive the controller
     * through the processing time it sets.
     */
    static LevelSource adaptive(ControllerConfig config, ControllerClock clock) {
        return new AdaptiveLevelSource(config, clock);
    }
}
