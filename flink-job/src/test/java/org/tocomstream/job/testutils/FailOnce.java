package org.tocomstream.job.testutils;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;

/**
 * Passes records through and throws once, JVM-wide, at the first record after {@code afterRecords}
 * records have passed this subtask since its last (re)start and a checkpoint has completed: the
 * injected failure of the exactly-once tests. Each record also sleeps {@code delayMillis}, so that
 * checkpoints happen while the stream is still flowing. State is static because the MiniCluster
 * runs every attempt in this JVM; call {@link #reset()} before each job.
 */
public final class FailOnce<T> implements MapFunction<T, T>, CheckpointListener {

    private static final long serialVersionUID = 1L;

    private static final AtomicBoolean FAILED = new AtomicBoolean();
    private static final AtomicBoolean CHECKPOINTED = new AtomicBoolean();
    private static final AtomicInteger SEEN_BEFORE_FAILURE = new AtomicInteger();

    private final int afterRecords;
    private final long delayMillis;
    private transient int seen;

    public FailOnce(int afterRecords, long delayMillis) {
        this.afterRecords = afterRecords;
        this.delayMillis = delayMillis;
    }

    public static void reset() {
        FAILED.set(false);
        CHECKPOINTED.set(false);
        SEEN_BEFORE_FAILURE.set(0);
    }

    /** True once the failure was thrown. */
    public static boolean failed() {
        return FAILED.get();
    }

    /** Records this subtask had passed on when it threw. */
    public static int seenBeforeFailure() {
        return SEEN_BEFORE_FAILURE.get();
    }

    @Override
    public T map(T value) throws Exception {
        if (delayMillis > 0) {
            Thread.sleep(delayMillis);
        }
        if (seen >= afterRecords && CHECKPOINTED.get() && FAILED.compareAndSet(false, true)) {
            SEEN_BEFORE_FAILURE.set(seen);
            throw new IllegalStateException("injected failure after " + seen + " records");
        }
        seen++;
        return value;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
        CHECKPOINTED.set(true);
    }
}
