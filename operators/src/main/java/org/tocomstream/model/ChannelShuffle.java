package org.tocomstream.model;

import ai.djl.ndarray.NDArray;

/**
 * The channel-shuffle block's channel bookkeeping ({@code src/docs/student.md}, The channel-shuffle
 * tiny ViT): tokens are D = {@code embedDim} channels wide; the first Ca = α·D channels are the
 * attended group, the remaining D − Ca the idle group. A block runs its attention and MLP on the
 * attended group only, adds the results to those channels, passes the idle group through, and
 * ends with ShuffleNet's channel shuffle of {@value #GROUPS} groups, a fixed permutation:
 *
 * <pre>
 * shuffle(x)[..., j·2 + g] = x[..., g·D/2 + j]     g ∈ {0, 1}, j &lt; D/2
 * </pre>
 *
 * so the next block's attended group holds the first halves of both of this block's D/2-channel
 * halves. No parameters, no MACs. With α = 1 (a plain ViT) none of this runs: every method here
 * returns its input unchanged, so the plain model's ops are exactly the old ones.
 */
final class ChannelShuffle {

    /** Shuffle groups g: ShuffleNetV2's two-branch unit. */
    static final int GROUPS = 2;

    private ChannelShuffle() {}

    /**
     * Ca = α·D, validated: α in (0, 1], α·D an integer, and D even when α &lt; 1 (the shuffle
     * splits the channels into two equal groups).
     *
     * @throws IllegalArgumentException naming {@code attendedFraction}
     */
    static int attendedWidth(int embedDim, double attendedFraction) {
        if (!(attendedFraction > 0 && attendedFraction <= 1)) {
            throw new IllegalArgumentException("attendedFraction must be in (0, 1] but was " + attendedFraction);
        }
        double exact = embedDim * attendedFraction;
        long width = Math.round(exact);
        if (Math.abs(width - exact) > 1e-9 * embedDim || width < 1) { // 1e-9: α = 1/3 is inexact
            throw new IllegalArgumentException(String.format(
                    "attendedFraction %s must give a whole number of attended channels of embedDim %d",
                    attendedFraction, embedDim));
        }
        if (width < embedDim && embedDim % GROUPS != 0) {
            throw new IllegalArgumentException(String.format(
                    "a channel-shuffle model (attendedFraction %s) needs an even embedDim but was %d",
                    attendedFraction, embedDim));
        }
        return (int) width;
    }

    /**
     * Where each output channel of the shuffle comes from: {@code out[c] = in[permutation[c]]}.
     */
    static int[] permutation(int width) {
        int half = width / GROUPS;
        int[] perm = new int[width];
        for (int j = 0; j < half; j++) {
            for (int g = 0; g < GROUPS; g++) {
                perm[j * GROUPS + g] = g * half + j;
            }
        }
        return perm;
    }

    /** The shuffle on the last axis of (B, N, D): reshape (B, N, 2, D/2), swap, reshape back. */
    static NDArray shuffle(NDArray x) {
        long[] s = x.getShape().getShape();
        long d = s[s.length - 1];
        return x.reshape(s[0], s[1], GROUPS, d / GROUPS).transpose(0, 1, 3, 2).reshape(s[0], s[1], d);
    }

    /** The first {@code attended} channels of (B, N, D). */
    static NDArray attended(NDArray x, int attended) {
        return x.get(":, :, 0:" + attended);
    }

    /** The channels from {@code attended} on, the idle group. */
    static NDArray idle(NDArray x, int attended) {
        return x.get(":, :, " + attended + ":");
    }

    /** The attended group {@code a} (B, N, Ca) and the idle group of {@code x} side by side. */
    static NDArray rejoin(NDArray a, NDArray x, int attended) {
        return a.concat(idle(x, attended), 2);
    }
}
