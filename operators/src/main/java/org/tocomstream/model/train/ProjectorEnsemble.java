package org.tocomstream.model.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.Scalars;

/**
 * q projectors {@code ReLU(Linear(d_s → d_t))} whose outputs are averaged (the projector ensemble
 * of feature distillation), with their parameters named {@code projector.<i>.weight} (d_t, d_s)
 * and {@code projector.<i>.bias} (d_t). Training-only: they live in the checkpoint's {@code
 * training/} directory, never in the model's weights.
 */
final class ProjectorEnsemble {

    static final String PREFIX = "projector.";

    private final int count;
    private final Map<String, NDArray> params;

    private ProjectorEnsemble(int count, Map<String, NDArray> params) {
        this.count = count;
        this.params = params;
    }

    /**
     * Fresh projectors, each initialised as torch's {@code nn.Linear} (weight and bias uniform in
     * ±1/√d_s) from its own seeded stream, so they start different.
     */
    static ProjectorEnsemble fresh(int count, int studentDim, int teacherDim, long seed, NDManager manager) {
        Map<String, HostTensor> init = new LinkedHashMap<>();
        double bound = 1 / Math.sqrt(studentDim);
        for (int i = 0; i < count; i++) {
            SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 7919L * (i + 1));
            init.put(weightKey(i), uniform(new long[] {teacherDim, studentDim}, bound, rnd));
            init.put(biasKey(i), uniform(new long[] {teacherDim}, bound, rnd));
        }
        return of(count, init, manager);
    }

    /** Projectors from saved tensors; every key of {@code count} projectors must be there. */
    static ProjectorEnsemble of(int count, Map<String, HostTensor> saved, NDManager manager) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            for (String key : new String[] {weightKey(i), biasKey(i)}) {
                HostTensor t = saved.get(key);
                if (t == null) {
                    throw new IllegalArgumentException("the saved projectors lack " + key);
                }
                NDArray p = manager.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
                p.setRequiresGradient(true);
                params.put(key, p);
            }
        }
        long extra = saved.keySet().stream().filter(k -> k.startsWith(PREFIX)).count() - 2L * count;
        if (extra != 0) {
            throw new IllegalArgumentException(
                    String.format("the saved projectors number %d, not %d", count + extra / 2, count));
        }
        return new ProjectorEnsemble(count, params);
    }

    /** The trainable parameters, by name. */
    Map<String, NDArray> params() {
        return params;
    }

    /** f̄ = (1/q) Σ_i ReLU(f W_iᵀ + b_i) for student features {@code f} (B, d_s): (B, d_t). */
    NDArray project(NDArray f) {
        NDArray sum = null;
        for (int i = 0; i < count; i++) {
            NDArray y = f.matMul(params.get(weightKey(i)).transpose())
                    .add(params.get(biasKey(i)))
                    .maximum(Scalars.of(f.getManager(), 0f));
            sum = sum == null ? y : sum.add(y);
        }
        return sum.div(Scalars.of(f.getManager(), (float) count));
    }

    /**
     * mean_batch(1 − cos(a, b)) over rows of (B, D) arrays; norms clamped at 1e-8 as torch's
     * {@code F.cosine_similarity}, so an all-zero projection stays finite.
     */
    static NDArray cosineLoss(NDArray a, NDArray b) {
        NDManager m = a.getManager();
        NDArray eps = Scalars.of(m, 1e-8f);
        NDArray na = a.square().sum(new int[] {1}).sqrt().maximum(eps);
        NDArray nb = b.square().sum(new int[] {1}).sqrt().maximum(eps);
        NDArray cos = a.mul(b).sum(new int[] {1}).div(na.mul(nb));
        return Scalars.of(m, 1f).sub(cos).mean();
    }

    static String weightKey(int i) {
        return PREFIX + i + ".weight";
    }

    static String biasKey(int i) {
        return PREFIX + i + ".bias";
    }

    private static HostTensor uniform(long[] shape, double bound, SplittableRandom rnd) {
        int n = 1;
        for (long d : shape) {
            n *= (int) d;
        }
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        }
        return new HostTensor(shape, data);
    }
}
