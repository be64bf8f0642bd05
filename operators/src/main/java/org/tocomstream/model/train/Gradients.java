package org.tocomstream.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/** Checks on the gradients of a training step, shared by the model and compensator trainers. */
public final class Gradients {

    private Gradients() {}

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
