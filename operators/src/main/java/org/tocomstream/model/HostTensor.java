package org.tocomstream.model;

import java.util.Arrays;

/**
 * A float32 tensor on the Java heap, whatever dtype it had in its file: the currency between
 * checkpoint readers and the engine. The arrays are owned by the tensor; callers must not mutate
 * them after construction.
 *
 * @param shape dimensions, outermost first
 * @param data row-major values; its length is the product of {@code shape}
 */
public record HostTensor(long[] shape, float[] data) {

    public HostTensor {
        long n = 1;
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= dim;
        }
        if (n != data.length) {
            throw new IllegalArgumentException(String.format(
                    "shape %s holds %d values but %d were given", Arrays.toString(shape), n, data.length));
        }
    }

    /** Number of values. */
    public int size() {
        return data.length;
    }

    /** Shape as text, e.g. {@code [768, 3, 16, 16]}. */
    public String shapeText() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostTensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "HostTensor" + shapeText();
    }
}
