package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tocomstream.testutils.FreedBuffers;

class ScalarsTest {

    @Test
    void aProductsGradientSurvivesACollectionBetweenForwardAndBackward() throws Exception {
        // DJL's x.mul(3f) read freed memory here: gradients of -1.7e29 and NaN instead of 3.
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray x = m.create(new float[] {1, 2, 3, 4});
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray y = x.mul(Scalars.of(m, 3f)).sum();
                List<ByteBuffer> poison = FreedBuffers.collectAndPoison();
                gc.backward(y);
                assertThat(poison).isNotEmpty();
            }
            assertThat(x.getGradient().toFloatArray()).containsExactly(3f, 3f, 3f, 3f);
        }
    }
}
