package org.tocomstream.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class DiffRatePlanTest {

    @Test
    void aSizeThatNegativeSimilaritiesWouldDriveBelowZeroIsFloored() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            // cls, a (the one destination), b opposite to a with size 5, c orthogonal to a.
            NDArray x = m.create(new float[] {0, 1, 1, 0, -1, 0, 0, 1}, new Shape(1, 4, 2));
            NDArray size = m.create(new float[] {1, 1, 5, 1}, new Shape(1, 4, 1));
            // The class token's attention ranks a, b, c.
            float[] attn = new float[16];
            attn[1] = 0.5f;
            attn[2] = 0.3f;
            attn[3] = 0.2f;
            NDArray[] out = DiffRatePlan.reduce(x, size, m.create(attn, new Shape(1, 1, 4, 4)), 4, 2, 1);
            // a's size would be 1 + 5·(−1) + 1·0 = −4.
            float[] sizes = out[1].toFloatArray();
            assertThat(sizes[0]).isEqualTo(1f);
            assertThat(sizes[1]).isEqualTo(DiffRatePlan.MIN_SIZE);
            assertThat(out[1].log().isNaN().any().getBoolean()).isFalse();
            // The features are the plain mean (a + b + c) / 3, as without the floor.
            assertThat(out[0].get(0, 1).toFloatArray()).containsExactly(new float[] {0, 1 / 3f}, within(1e-6f));
        }
    }
}
