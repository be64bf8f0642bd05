package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;

class BatchPlanTest {

    @Test
    void ofRunsEveryFrameAtRung0WithoutReasonOrCoalescing() {
        BatchPlan plan = BatchPlan.of(CompressionLevel.tome(4));

        assertThat(plan.level()).isEqualTo(CompressionLevel.tome(4));
        assertThat(plan.rung()).isZero();
        assertThat(plan.skip()).isEmpty();
        assertThat(plan.skippedCount()).isZero();
        assertThat(plan.skips(0)).isFalse();
        assertThat(plan.reason()).isEmpty();
        assertThat(plan.coalesceStreams()).isFalse();
    }

    @Test
    void skipFlagsAreCopiedInAndOut() {
        boolean[] flags = {true, false, true};
        BatchPlan plan = new BatchPlan(CompressionLevel.none(), 0, flags, "r", false);
        flags[1] = true;
        plan.skip()[0] = false;

        assertThat(plan.skip()).containsExactly(true, false, true);
        assertThat(plan.skippedCount()).isEqualTo(2);
        assertThat(plan.skips(0)).isTrue();
        assertThat(plan.skips(1)).isFalse();
        assertThat(plan.skips(3)).as("beyond the flags").isFalse();
    }

    @Test
    void nullOrNoFlagsMeanNoFrameIsSkippedAndANullReasonIsEmpty() {
        BatchPlan fromNull = new BatchPlan(CompressionLevel.none(), 2, null, null, true);
        BatchPlan fromEmpty = new BatchPlan(CompressionLevel.none(), 2, new boolean[0], "", true);

        assertThat(fromNull.skip()).isEmpty();
        assertThat(fromNull.reason()).isEmpty();
        assertThat(fromNull).isEqualTo(fromEmpty).hasSameHashCodeAs(fromEmpty);
    }

    @Test
    void theHeadOfAPlanKeepsTheDecisionForTheFirstFrames() {
        BatchPlan plan = new BatchPlan(CompressionLevel.tome(2), 1, new boolean[] {true, false, true}, "x", true);

        assertThat(plan.head(2))
                .isEqualTo(new BatchPlan(CompressionLevel.tome(2), 1, new boolean[] {true, false}, "x", true));
        assertThat(plan.head(3)).isEqualTo(plan);
        assertThat(BatchPlan.of(CompressionLevel.none()).head(1)).isEqualTo(BatchPlan.of(CompressionLevel.none()));
    }

    @Test
    void plansAreEqualByContentIncludingTheFlags() {
        BatchPlan a = new BatchPlan(CompressionLevel.tome(2), 1, new boolean[] {true, false}, "x", true);
        BatchPlan b = new BatchPlan(CompressionLevel.tome(2), 1, new boolean[] {true, false}, "x", true);

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(new BatchPlan(CompressionLevel.tome(2), 1, new boolean[] {false, true}, "x", true));
        assertThat(a).isNotEqualTo(new BatchPlan(CompressionLevel.tome(2), 1, new boolean[] {true, false}, "x", false));
        assertThat(a.toString()).contains("tome:2", "[true, false]", "coalesceStreams=true");
    }

    @Test
    void aPlanNeedsALevel() {
        assertThatThrownBy(() -> BatchPlan.of(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("level");
    }
}
