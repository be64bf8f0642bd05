package org.tocomstream.stream;

import java.io.Serializable;
import java.util.function.LongSupplier;
import org.tocomstream.compress.CompressionLevel;

/**
 * Where the batching inference operator gets the compression level of each batch. The operator
 * asks once per batch, on its task thread, with a {@link LoadSignals} snapshot, and writes the
 * answer into every label of that batch.
 *
 * <p>This issue ships {@link #fixed(CompressionLevel)}; the load controller plugs in here later.
 * Flink serializes the instance given to the operator and each parallel subtask gets its own
 * copy, so an implementation may keep per-subtask state in fields (transient or not) but must not
 * share mutable state through statics.
 *
 * <pre>{@code
 * LevelSource levels = LevelSource.fixed(CompressionLevel.parse("tome:8"));
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

    /** Called once per subtask when the operator closes. */
    default void close() throws Exception {}

    /** Always {@code level}, whatever the signals say. */
    static LevelSource fixed(CompressionLevel level) {
        return new FixedLevelSource(level);
    }
}
