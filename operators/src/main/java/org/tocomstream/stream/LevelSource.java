package org.tocomstream.stream;

import java.io.Serializable;
import java.util.List;
import java.util.function.LongSupplier;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.control.ControllerConfig;

/**
 * Where the batching inference operator gets the compression level of each batch. The operator
 * asks once per batch, on its task thread, with a {@link LoadSignals} snapshot, and writes the
 * answer into every label of that batch.
 *
 * <p>{@link #fixed(CompressionLevel)} always answers one level; {@link #adaptive(ControllerConfig)}
 * runs the load controller ({@link org.tocomstream.control.LevelController}) on the signals and may
 * also ask the operator to skip frames under overload ({@link #framesToSkip}). Flink serializes the instance given to the operator and each parallel subtask gets its own
 * copy, so an implementation may keep per-subtask state in fields (transient or not) but must not
 * share mutable state through statics.
 *
 * <pre>{@code
 * LevelSource levels = LevelSource.fixed(CompressionLevel.parse("tome:8"));
 * LevelSource adaptive = LevelSource.adaptive(
 *         ControllerConfig.defaults(Ladder.parse(cost, "none;tome:2;tome:4;tome:6")));
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
     * The level for the batch being formed.
     *
     * @return a level, never null
     */
    CompressionLevel levelFor(LoadSignals signals);

    /**
     * Which frames of the batch just given to {@link #levelFor} to skip rather than run: called
     * right after it, with the same signals and the batch's frames in order. A skipped frame is
     * emitted as a label record marked {@code skipped}. The default skips nothing.
     *
     * @return null or an array of {@code batch.size()} flags, true to skip
     */
    default boolean[] framesToSkip(LoadSignals signals, List<DecodedFrame> batch) {
        return null;
    }

    /**
     * Whether the operator should currently keep only the newest frame of each stream: it then
     * cuts a batch once it holds frames of {@code maxBatchSize} different streams (or four times
     * that many frames), and {@link #framesToSkip} marks the older frames of each stream. False
     * by default.
     */
    default boolean coalescingStreams() {
        return false;
    }

    /** The rung of {@code level} on this source's ladder, for the level-index gauge; 0 default. */
    default int rungOf(CompressionLevel level) {
        return 0;
    }

    /** A short text on why the last level was chosen, for the level-change log; may be empty. */
    default String lastReason() {
        return "";
    }

    /** Called once per subtask when the operator closes. */
    default void close() throws Exception {}

    /** Always {@code level}, whatever the signals say. */
    static LevelSource fixed(CompressionLevel level) {
        return new FixedLevelSource(level);
    }

    /**
     * The adaptive controller ({@link org.tocomstream.control.LevelController#adaptive}) over
     * {@code config}'s ladder, on the operator's processing-time clock, with its shedding policy.
     */
    static LevelSource adaptive(ControllerConfig config) {
        return new AdaptiveLevelSource(config);
    }
}
