package org.tocomstream.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.tocomstream.model.HostTensor;

/**
 * AdamW (decoupled weight decay, Loshchilov and Hutter) over named parameters, with its moment
 * estimates exposed so a checkpoint can hold them and a resumed run continues exactly.
 *
 * <p>Update per parameter p with gradient g at step t (1-based):
 *
 * <pre>
 * m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g²
 * p -= lr · wd · p            (only for parameters that decay)
 * p -= lr · (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * </pre>
 */
public final class AdamW {

    private final Map<String, NDArray> params;
    private final Set<String> decayed;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager stateManager;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long step;

    /**
     * @param params the trained parameters (arrays requiring gradients), updated in place
     * @param decayed names of the parameters that receive weight decay
     * @param stateManager where the moment estimates live
     */
    public AdamW(
            Map<String, NDArray> params,
            Set<String> decayed,
            double beta1,
            double beta2,
            double eps,
            double weightDecay,
            NDManager stateManager) {
        this.params = params;
        this.decayed = decayed;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.stateManager = stateManager;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            m.put(e.getKey(), stateManager.zeros(e.getValue().getShape()));
            v.put(e.getKey(), stateManager.zeros(e.getValue().getShape()));
        }
    }

    /** Steps taken so far. */
    public long step() {
        return step;
    }

    /** Applies one update from the parameters' current gradients, which it then zeroes. */
    public void update(double lr) {
        step++;
        double c1 = 1 - Math.pow(beta1, step);
        double c2 = 1 - Math.pow(beta2, step);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            String name = e.getKey();
            NDArray p = e.getValue();
            try (NDManager tmp = stateManager.newSubManager()) {
                NDArray g = p.getGradient();
                g.attach(tmp); // temporaries derived from g land in tmp and die with it
                NDArray mi = m.get(name);
                NDArray vi = v.get(name);
                mi.muli(beta1).addi(g.mul(1 - beta1));
                vi.muli(beta2).addi(g.square().muli(1 - beta2));
                if (weightDecay > 0 && decayed.contains(name)) {
                    p.muli(1 - lr * weightDecay);
                }
                NDArray denom = in(tmp, vi.div(c2)).sqrt().addi(eps);
                p.subi(in(tmp, mi.div(c1)).divi(denom).muli(lr));
                g.subi(g); // zero in place: the gradient buffer is reused by the next backward
            }
        }
    }

    /** Moment estimates as heap tensors, named {@code m.<param>} and {@code v.<param>}. */
    public Map<String, HostTensor> state() {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        m.forEach((k, a) -> out.put("m." + k, host(a)));
        v.forEach((k, a) -> out.put("v." + k, host(a)));
        return out;
    }

    /** Restores moments saved by {@link #state()} after {@code steps} updates. */
    public void restore(Map<String, HostTensor> state, long steps) {
        for (String k : params.keySet()) {
            load(m.get(k), state.get("m." + k), "m." + k);
            load(v.get(k), state.get("v." + k), "v." + k);
        }
        this.step = steps;
    }

    private static void load(NDArray target, HostTensor t, String name) {
        if (t == null || !new Shape(t.shape()).equals(target.getShape())) {
            throw new IllegalArgumentException("optimizer state " + name + " is missing or has the wrong shape");
        }
        target.set(FloatBuffer.wrap(t.data()));
    }

    /** Moves a temporary created next to the state into the step's scope. */
    private static NDArray in(NDManager scope, NDArray a) {
        a.attach(scope);
        return a;
    }

    private static HostTensor host(NDArray a) {
        return new HostTensor(a.getShape().getShape(), a.toFloatArray());
    }
}
