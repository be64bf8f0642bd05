package org.tocomstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GradientsTest {

    @Test
    void namesTheFirstParameterWithAnInfOrNaNAndLeavesTheGradients() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("a", m.create(new float[] {1, 2}));
            params.put("b", m.create(new float[] {0, 1})); // d sqrt(x)/dx at 0 is inf
            params.put("c", m.create(new float[] {3}));
            params.values().forEach(p -> p.setRequiresGradient(true));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = params.get("a")
                        .sum()
                        .add(params.get("b").sqrt().sum())
                        .add(params.get("c").sum());
                assertThat(loss.getFloat()).isFinite(); // the loss alone would not tell
                gc.backward(loss);
            }
            assertThat(Gradients.firstNonFinite(params)).isEqualTo("b");
            // The check leaves the gradients in place for the optimizer.
            assertThat(params.get("a").getGradient().toFloatArray()).containsExactly(1f, 1f);

            params.remove("b");
            assertThat(Gradients.firstNonFinite(params)).isNull();
        }
    }
}
