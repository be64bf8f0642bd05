package org.tocomstream.compensate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.tocomstream.compensate.TokenCompensator.Projection;
import org.tocomstream.model.CheckpointException;
import org.tocomstream.model.HostTensor;

/**
 * The tensors of a {@link TokenCompensator} as the file format names and shapes them: a fresh
 * set, the check of a loaded one, and the weight-space delta one pair makes of a projection.
 */
final class PluginTensors {

    private PluginTensors() {}

    /**
     * Fresh tensors: down projections drawn as PyTorch's default {@code Linear} initialisation
     * (uniform in ±1/√D), up projections zero.
     */
    static Map<String, HostTensor> initial(int depth, int embedDim, CompensatorConfig config, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int d = embedDim;
        int r = config.rank();
        double bound = 1.0 / Math.sqrt(d);
        Map<String, HostTensor> t = new LinkedHashMap<>();
        for (int i = 0; i < depth; i++) {
            for (Projection p : Projection.values()) {
                float[] down = new float[r * d];
                for (int k = 0; k < down.length; k++) {
                    down[k] = (float) ((2 * rnd.nextDouble() - 1) * bound);
                }
                t.put(TokenCompensator.key(i, p, false), new HostTensor(new long[] {r, d}, down));
                t.put(TokenCompensator.key(i, p, true), new HostTensor(new long[] {d, r}, new float[d * r]));
            }
        }
        return Collections.unmodifiableMap(t);
    }

    /** The expected names and shapes, in file order (block, q then v, down then up). */
    static Map<String, long[]> expectedShapes(int depth, int embedDim, CompensatorConfig config) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (int i = 0; i < depth; i++) {
            for (Projection p : Projection.values()) {
                out.put(TokenCompensator.key(i, p, false), new long[] {config.rank(), embedDim});
                out.put(TokenCompensator.key(i, p, true), new long[] {embedDim, config.rank()});
            }
        }
        return out;
    }

    /**
     * {@code tensors} in file order, unmodifiable, once every expected tensor is there with its
     * shape and no other is.
     *
     * @throws CheckpointException naming {@code source} and the unexpected, missing or mis-shaped
     *     tensor
     */
    static Map<String, HostTensor> validated(
            Map<String, HostTensor> tensors, int depth, int embedDim, CompensatorConfig config, String source)
            throws CheckpointException {
        Map<String, long[]> expected = expectedShapes(depth, embedDim, config);
        List<String> unexpected = new ArrayList<>();
        for (String key : tensors.keySet()) {
            if (!expected.containsKey(key)) {
                unexpected.add(key);
            }
        }
        if (!unexpected.isEmpty()) {
            throw new CheckpointException(String.format("%s: unexpected tensors %s", source, unexpected));
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            HostTensor t = tensors.get(e.getKey());
            if (t == null) {
                throw new CheckpointException(String.format("%s: missing tensor %s", source, e.getKey()));
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new CheckpointException(String.format(
                        "%s: %s has shape %s but rank %d (%d per step × degree %d) and" + " width %d need %s",
                        source,
                        e.getKey(),
                        t.shapeText(),
                        config.rank(),
                        config.rankPerStep(),
                        config.maxDegree(),
                        embedDim,
                        Arrays.toString(e.getValue())));
            }
            out.put(e.getKey(), t);
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * {@code s·U·diag(diff)·D} as a (D, D) matrix, in double precision on the heap.
     *
     * @param down (R, D) row-major
     * @param up (D, R) row-major
     * @param diff the pair's mask difference M(n) − M(m), R values
     */
    static HostTensor delta(float[] down, float[] up, float[] diff, int r, int embedDim, double scale) {
        float[] out = new float[embedDim * embedDim];
        double[] row = new double[embedDim];
        for (int o = 0; o < embedDim; o++) {
            Arrays.fill(row, 0);
            for (int c = 0; c < r; c++) {
                double coef = (double) up[o * r + c] * diff[c];
                if (coef == 0) {
                    continue;
                }
                for (int i = 0; i < embedDim; i++) {
                    row[i] += coef * down[c * embedDim + i];
                }
            }
            for (int i = 0; i < embedDim; i++) {
                out[o * embedDim + i] = (float) (scale * row[i]);
            }
        }
        return new HostTensor(new long[] {embedDim, embedDim}, out);
    }
}
