package org.tocomstream.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The scaling policy driven by tables of loads on a manual clock, one call per 15 s. */
class ScalingPolicyTest {

    private static final long STEP_MS = 15_000;

    private final AtomicLong clock = new AtomicLong(1_000_000);

    /** Defaults: target 0.7, bounds 0.4-0.9, up after 2 min, down after 10 min, 3 min stabilization. */
    private final ScalingPolicy policy = ScalingPolicy.of(ScalingConfig.defaults(), clock::get);

    /** Calls every 15 s for {@code ms}; the last recommendation. */
    private ScalingPolicy.Recommendation feed(int parallelism, double load, double backlogSeconds, long ms) {
        ScalingPolicy.Recommendation last = null;
        for (long t = 0; t < ms; t += STEP_MS) {
            last = policy.next(new ScalingPolicy.Signal(parallelism, load, backlogSeconds));
            clock.addAndGet(STEP_MS);
            if (last.rescales(parallelism)) {
                return last;
            }
        }
        return last;
    }

    private void stabilize(int parallelism) {
        assertThat(feed(parallelism, 0.6, 0, Duration.ofMinutes(3).toMillis()).reason())
                .isEqualTo("stabilizing");
    }

    @Nested
    class Up {
        @Test
        void aSustainedOverloadScalesUpToTheTargetLoadAfterTheUpWindow() {
            stabilize(2);
            // 1.3 at 2 subtasks: ceil(2 × 1.3 / 0.7) = 4.
            assertThat(feed(2, 1.3, 0, Duration.ofSeconds(105).toMillis()).reason())
                    .isEqualTo("above");
            ScalingPolicy.Recommendation r =
                    feed(2, 1.3, 0, Duration.ofSeconds(30).toMillis());
            assertThat(r.parallelism()).isEqualTo(4);
            assertThat(r.reason()).isEqualTo("scale-up");
        }

        @Test
        void aBurstShorterThanTheUpWindowIsLeftToCompression() {
            stabilize(2);
            assertThat(feed(2, 1.5, 0, Duration.ofSeconds(90).toMillis()).rescales(2))
                    .isFalse();
            assertThat(feed(2, 0.6, 0, STEP_MS).reason()).isEqualTo("within");
            assertThat(feed(2, 1.5, 0, Duration.ofSeconds(90).toMillis()).rescales(2))
                    .isFalse();
        }

        @Test
        void nothingIsJudgedDuringTheStabilizationAfterARescale() {
            stabilize(2);
            assertThat(feed(2, 1.3, 0, Duration.ofMinutes(3).toMillis()).parallelism())
                    .isEqualTo(4);
            // The restart's backlog reads as a high load: ignored while the job stabilizes.
            assertThat(feed(4, 2.0, 0, Duration.ofMinutes(3).toMillis() - STEP_MS)
                            .reason())
                    .isEqualTo("stabilizing");
        }

        @Test
        void theMaximumParallelismBoundsTheRecommendation() {
            ScalingPolicy bounded = ScalingPolicy.of(ScalingConfig.defaults().withParallelismBounds(1, 3), clock::get);
            ScalingPolicy.Recommendation r = null;
            for (int i = 0; i < 40 && (r == null || !r.rescales(2)); i++) {
                r = bounded.next(new ScalingPolicy.Signal(2, 1.3, 0));
                clock.addAndGet(STEP_MS);
            }
            assertThat(r.parallelism()).isEqualTo(3);
        }
    }

    @Nested
    class Down {
        @Test
        void aLongCalmScalesDownAfterTheDownWindow() {
            stabilize(4);
            // 0.3 at 4 subtasks: ceil(4 × 0.3 / 0.7) = 2.
            assertThat(feed(4, 0.3, 0, Duration.ofMinutes(9).toMillis()).reason())
                    .isEqualTo("below");
            ScalingPolicy.Recommendation r =
                    feed(4, 0.3, 0, Duration.ofMinutes(2).toMillis());
            assertThat(r.parallelism()).isEqualTo(2);
            assertThat(r.reason()).isEqualTo("scale-down");
        }

        @Test
        void neverWhileABacklogDrains() {
            stabilize(4);
            assertThat(feed(4, 0.3, 30, Duration.ofMinutes(20).toMillis()).reason())
                    .isEqualTo("draining");
        }

        @Test
        void aLoadWithinTheBandRestartsTheCalmWindow() {
            stabilize(4);
            assertThat(feed(4, 0.3, 0, Duration.ofMinutes(8).toMillis()).reason())
                    .isEqualTo("below");
            assertThat(feed(4, 0.5, 0, STEP_MS).reason()).isEqualTo("within");
            assertThat(feed(4, 0.3, 0, Duration.ofMinutes(8).toMillis()).rescales(4))
                    .isFalse();
        }

        @Test
        void notBelowTheMinimumParallelism() {
            stabilize(1);
            assertThat(feed(1, 0.1, 0, Duration.ofMinutes(30).toMillis()).reason())
                    .isEqualTo("bounded");
        }
    }

    @Test
    void anUnknownLoadHoldsTheParallelism() {
        stabilize(2);
        assertThat(feed(2, Double.NaN, 0, Duration.ofMinutes(30).toMillis()).reason())
                .isEqualTo("unknown");
    }

    @Nested
    class Config {
        @Test
        void parallelismForPutsTheBusiestSubtaskAtTheTarget() {
            ScalingConfig c = ScalingConfig.defaults();
            assertThat(c.parallelismFor(2, 1.3)).isEqualTo(4);
            assertThat(c.parallelismFor(4, 0.3)).isEqualTo(2);
            assertThat(c.parallelismFor(2, 0.7)).isEqualTo(2);
            assertThat(c.parallelismFor(3, 0.01)).isEqualTo(1);
        }

        @Test
        void rejectsBadSettingsNamingThem() {
            ScalingConfig d = ScalingConfig.defaults();
            assertThatThrownBy(() -> d.withLoads(1.0, 1.2, 0.4)).hasMessageContaining(ScalingConfig.TARGET_LOAD);
            assertThatThrownBy(() -> d.withLoads(0.7, 0.7, 0.4)).hasMessageContaining(ScalingConfig.UPPER_LOAD);
            assertThatThrownBy(() -> d.withLoads(0.7, 0.9, 0.7)).hasMessageContaining(ScalingConfig.LOWER_LOAD);
            assertThatThrownBy(() -> d.withWindows(Duration.ofMinutes(5), Duration.ofMinutes(1), Duration.ZERO))
                    .hasMessageContaining(ScalingConfig.DOWN_WINDOW);
            assertThatThrownBy(() -> d.withWindows(Duration.ZERO, Duration.ofMinutes(1), Duration.ZERO))
                    .hasMessageContaining(ScalingConfig.UP_WINDOW);
            assertThatThrownBy(() -> d.withParallelismBounds(0, 4)).hasMessageContaining(ScalingConfig.MIN_PARALLELISM);
            assertThatThrownBy(() -> d.withParallelismBounds(4, 2)).hasMessageContaining(ScalingConfig.MAX_PARALLELISM);
        }

        @Test
        void signalsRejectImpossibleValues() {
            assertThatThrownBy(() -> new ScalingPolicy.Signal(0, 0.5, 0)).hasMessageContaining("parallelism");
            assertThatThrownBy(() -> new ScalingPolicy.Signal(1, -0.5, 0)).hasMessageContaining("peak load");
            assertThatThrownBy(() -> new ScalingPolicy.Signal(1, 0.5, -1)).hasMessageContaining("backlog");
        }
    }
}
