package org.tocomstream.compress;

import java.io.Serializable;
import java.util.Arrays;

/**
 * EViT's parameters ({@code src/docs/token-reduction.md}, EViT): the keep rate in (0, 1] and the
 * 0-based blocks after whose attention the inattentive tokens are fused. Text (after {@code
 * evit:}): {@code RATE} for the default blocks 3, 6 and 9 (the 4th, 7th and 10th), else {@code
 * RATE@B1,B2,...} with the blocks sorted. Immutable.
 */
final class EvitParams implements Serializable {

    private static final long serialVersionUID = 1L;

    /** 0-based blocks where EViT reduces by default: the 4th, 7th and 10th. */
    static final int[] DEFAULT_BLOCKS = {3, 6, 9};

    private final double keepRate;
    /** Sorted and distinct. */
    private final int[] blocks;

    private EvitParams(double keepRate, int[] blocks) {
        this.keepRate = keepRate;
        this.blocks = blocks;
    }

    /** Checks the rate, then the blocks (distinct, >= 0, any order). */
    static EvitParams of(double keepRate, int[] blocks) {
        if (!(keepRate > 0 && keepRate <= 1)) {
            throw new IllegalArgumentException("EViT keep rate must be in (0, 1] but was " + keepRate);
        }
        int[] sorted = blocks.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 0 || (i > 0 && sorted[i] == sorted[i - 1])) {
                throw new IllegalArgumentException(
                        "EViT blocks must be distinct and >= 0 but were " + Arrays.toString(blocks));
            }
        }
        return new EvitParams(keepRate, sorted);
    }

    /** Parses the text after {@code evit:} (see the class comment). */
    static EvitParams parse(String body) {
        int at = body.indexOf('@');
        if (at < 0) {
            return of(Double.parseDouble(body.trim()), DEFAULT_BLOCKS);
        }
        return of(Double.parseDouble(body.substring(0, at).trim()), LevelText.ints(body.substring(at + 1)));
    }

    /** True when nothing is pruned: rate 1 or no blocks. */
    boolean isIdentity() {
        return keepRate == 1.0 || blocks.length == 0;
    }

    double keepRate() {
        return keepRate;
    }

    boolean reducesAt(int block) {
        return Arrays.binarySearch(blocks, block) >= 0;
    }

    int[] blocks() {
        return blocks.clone();
    }

    /** The text after {@code evit:} (see the class comment). */
    String text() {
        String rate = LevelText.decimal(keepRate);
        return Arrays.equals(blocks, DEFAULT_BLOCKS) ? rate : rate + "@" + LevelText.join(blocks);
    }
}
