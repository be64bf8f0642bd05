package org.tocomstream.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class MonotonicClockTest {

    @Test
    void aSteadyClockFollowsForwardStepsAndMovesOnAfterABackwardOne() {
        AtomicLong wall = new AtomicLong(1_000_000);
        LongSupplier steady = MonotonicClock.steady(wall::get);

        assertThat(steady.getAsLong()).isEqualTo(1_000_000);
        wall.addAndGet(100);
        assertThat(steady.getAsLong()).isEqualTo(1_000_100);
        wall.addAndGet(-3_600_000);
        assertThat(steady.getAsLong()).as("a step back is ignored").isEqualTo(1_000_100);
        wall.addAndGet(50);
        assertThat(steady.getAsLong()).as("and time moves on from there").isEqualTo(1_000_150);
    }

    @Test
    void theSystemClockNeverStepsBack() {
        LongSupplier clock = MonotonicClock.system();
        long previous = clock.getAsLong();
        for (int i = 0; i < 1000; i++) {
            long now = clock.getAsLong();
            assertThat(now).isGreaterThanOrEqualTo(previous);
            previous = now;
        }
    }
}
