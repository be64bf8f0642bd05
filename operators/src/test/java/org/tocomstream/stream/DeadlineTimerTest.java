package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.junit.jupiter.api.Test;

/** The buffer's max-delay timer over a hand-driven processing-time service. */
class DeadlineTimerTest {

    /** Keeps the registered timers; the test fires them. */
    private static final class ManualTime implements ProcessingTimeService {
        final List<Long> due = new ArrayList<>();
        final List<ProcessingTimeCallback> callbacks = new ArrayList<>();
        final List<Timer> futures = new ArrayList<>();

        @Override
        public long getCurrentProcessingTime() {
            return 0;
        }

        @Override
        public ScheduledFuture<?> registerTimer(long timestamp, ProcessingTimeCallback target) {
            due.add(timestamp);
            callbacks.add(target);
            Timer timer = new Timer();
            futures.add(timer);
            return timer;
        }

        void fire(int index) throws Exception {
            callbacks.get(index).onProcessingTime(due.get(index));
        }
    }

    private static final class Timer extends CompletableFuture<Object> implements ScheduledFuture<Object> {
        @Override
        public long getDelay(TimeUnit unit) {
            return 0;
        }

        @Override
        public int compareTo(Delayed o) {
            return 0;
        }
    }

    private final ManualTime time = new ManualTime();
    private int flushes;
    private final DeadlineTimer timer = new DeadlineTimer(time, () -> flushes++);

    @Test
    void theCurrentTimerRunsItsActionAtTheDeadline() throws Exception {
        timer.start(1050);
        assertThat(time.due).containsExactly(1050L);

        time.fire(0);

        assertThat(flushes).isEqualTo(1);
    }

    @Test
    void aCancelledTimerIsCancelledAndDoesNothingShouldItFireAnyway() throws Exception {
        timer.start(1050);
        timer.cancel();
        assertThat(time.futures.get(0).isCancelled()).isTrue();

        time.fire(0); // its mail was already queued

        assertThat(flushes).isZero();
    }

    @Test
    void theTimerOfACutBufferDoesNotFireForTheNextBuffer() throws Exception {
        timer.start(1050);
        timer.cancel();
        timer.start(1090);

        time.fire(0);
        assertThat(flushes).isZero();
        time.fire(1);
        assertThat(flushes).isEqualTo(1);
    }

    @Test
    void cancellingWithoutATimerIsHarmless() {
        timer.cancel();
        assertThat(time.due).isEmpty();
    }
}
