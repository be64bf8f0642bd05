package org.tocomstream.stream;

import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.util.function.ThrowingRunnable;

/**
 * The max-delay timer of the buffer being filled: at most one pending processing-time timer,
 * started with the buffer's first frame and cancelled when the buffer is cut. A timer that fires
 * after its buffer was cut (its mail may already be queued when it is cancelled) does nothing, so
 * it never cuts the next buffer early. Task thread only.
 *
 * <pre>{@code
 * DeadlineTimer deadline = new DeadlineTimer(getProcessingTimeService(), this::flush);
 * deadline.start(trigger.deadline(now));   // first frame of a buffer
 * deadline.cancel();                       // the buffer was cut
 * }</pre>
 */
final class DeadlineTimer {

    private final ProcessingTimeService time;
    private final ThrowingRunnable<? extends Exception> onDue;
    private ScheduledFuture<?> timer;
    private long generation;

    /**
     * @param time the operator's processing-time service
     * @param onDue runs on the task thread when the current timer fires
     */
    DeadlineTimer(ProcessingTimeService time, ThrowingRunnable<? extends Exception> onDue) {
        this.time = Objects.requireNonNull(time, "time");
        this.onDue = Objects.requireNonNull(onDue, "onDue");
    }

    /** Starts the timer of a new buffer, due at {@code atMs}; an earlier one goes stale. */
    void start(long atMs) {
        long current = ++generation;
        timer = time.registerTimer(atMs, firedAt -> fire(current));
    }

    /** Cancels the current timer; should it fire anyway, it does nothing. */
    void cancel() {
        generation++;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void fire(long timerGeneration) throws Exception {
        if (timerGeneration == generation) {
            onDue.run();
        }
    }
}
