package org.tocomstream.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PrunePlanTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager("PyTorch");
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    @Test
    void keepsTheMostAttendedTokensAndFusesTheRestWithRawAttentionWeights() {
        // 1 prefix token + 5 candidates; token i has value i+1 in both channels.
        float[] xs = new float[6 * 2];
        for (int i = 0; i < 6; i++) {
            xs[2 * i] = i + 1;
            xs[2 * i + 1] = 10 * (i + 1);
        }
        NDArray x = manager.create(xs, new Shape(1, 6, 2));
        // Attention of cls to candidates (tokens 1..5); not normalised to 1 on purpose.
        float[] a = {0.05f, 0.30f, 0.10f, 0.20f, 0.02f};
        NDArray attn = manager.create(a, new Shape(1, 5));

        PrunePlan plan = PrunePlan.attentive(attn, 0.6, 1); // ceil(0.6 * 5) = 3 kept
        float[] out = plan.apply(x).toFloatArray();

        assertThat(plan.kept()).isEqualTo(3);
        // Prefix, then kept in descending attention: tokens 2 (0.30), 4 (0.20), 3 (0.10).
        assertThat(out).hasSize(5 * 2);
        assertThat(java.util.Arrays.copyOf(out, 8)).containsExactly(1, 10, 3, 30, 5, 50, 4, 40);
        // Fused = 0.05 * token1 + 0.02 * token5 (EViT does not renormalise).
        assertThat(out[8]).isCloseTo(0.05f * 2 + 0.02f * 6, within(1e-6f));
        assertThat(out[9]).isCloseTo(0.05f * 20 + 0.02f * 60, within(1e-5f));
    }

    @Test
    void keepRateOneIsTheIdentity() {
        NDArray x = manager.ones(new Shape(2, 6, 3));
        NDArray attn = manager.ones(new Shape(2, 5));

        PrunePlan plan = PrunePlan.attentive(attn, 1.0, 1);

        assertThat(plan.isIdentity()).isTrue();
        assertThat(plan.apply(x)).isSameAs(x);
    }
}
