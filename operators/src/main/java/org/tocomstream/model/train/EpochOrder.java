package org.tocomstream.model.train;

import java.util.SplittableRandom;

/**
 * The order of one epoch's examples, shared by the model's, the compensator's and DiffRate's
 * trainers so all draw epochs the same way.
 */
public final class EpochOrder {

    private EpochOrder() {}

    /** A seeded Fisher-Yates permutation of {@code 0..n-1}. */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
