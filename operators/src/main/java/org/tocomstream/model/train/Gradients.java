package org.tocomstream.model.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;

/** Checks on the gradients of a training step, shared by the model and compensator trainers. */
public final class Gradients {

    private Gradients() {}

    /**
     * Turns libtorch's gradient recording off on the calling thread, as a trainer's first step.
     * The mode is per thread and on by default: DJL turns it off only on the thread that starts
     * the engine, and a {@code GradientCollector} restores on close whatever it found. Without
     * this, a run on any other thread records its teacher passes and has its optimizer's in-place
     * update of the leaf parameters refused. Collectors still record inside their scope.
     */
    public static void recordOnlyInCollectors() {
        Engine.getEngine("PyTorch"); // loads libtorch, which the call below needs
        JniUtils.setGradMode(false);
    }

    /**
     * The first parameter, in map order, whose gradient holds an inf or a NaN; null if none. One
     * such gradient poisons Adam's moments and then every weight, so a trainer stops on it before
     * the update, as it does on a non-finite loss. The gradients stay in place.
     */
    public static String firstNonFinite(Map<String, NDArray> params) {
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            try (NDManager tmp = e.getValue().getManager().newSubManager()) {
                NDArray g = e.getValue().getGradient();
                g.attach(tmp); // the handle and the sum die with tmp; the parameter keeps its gradient
                // A sum is finite only if every term is (or overflows, which is as bad).
                if (!Float.isFinite(g.sum().getFloat())) {
                    return e.getKey();
                }
            }
        }
        return null;
    }
}
