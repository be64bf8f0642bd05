package org.tocomstream.compress;

import java.io.Serializable;

/**
 * Token reuse's parameter ({@code src/docs/reuse.md}): how many patch tokens each block
 * recomputes per frame of a video stream, the rest coming from the stream's cache of its earlier
 * frames. Text (after {@code reuse:}): a fraction of the patch tokens in (0, 1] written with a
 * decimal point ({@code 0.25}, {@code 1.0}) or a count of patch tokens ({@code 49}). The prefix
 * tokens (class, distillation) are always recomputed on top. Immutable.
 */
final class ReuseParams implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The fraction in (0, 1], or NaN for a count. */
    private final double fraction;
    /** The count, >= 1, or 0 for a fraction. */
    private final int count;

    private ReuseParams(double fraction, int count) {
        this.fraction = fraction;
        this.count = count;
    }

    static ReuseParams fraction(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException(
                    "the fraction of patch tokens recomputed must be in (0, 1] but was " + fraction);
        }
        return new ReuseParams(fraction, 0);
    }

    static ReuseParams count(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("the patch tokens recomputed must be >= 1 but were " + count);
        }
        return new ReuseParams(Double.NaN, count);
    }

    /** Parses the text after {@code reuse:} (see the class comment). */
    static ReuseParams parse(String body) {
        String s = body.trim();
        return s.contains(".") ? fraction(Double.parseDouble(s)) : count(Integer.parseInt(s));
    }

    /**
     * Patch tokens recomputed per block and frame on a model with {@code patches} patch tokens: a
     * fraction rounded up, a count capped at {@code patches}; at least 1.
     */
    int recomputed(int patches) {
        if (count > 0) {
            return Math.min(count, patches);
        }
        return (int) Math.max(1, Math.min(patches, Math.ceil(fraction * patches - 1e-9)));
    }

    /** The text after {@code reuse:}. */
    String text() {
        if (count > 0) {
            return Integer.toString(count);
        }
        String d = LevelText.decimal(fraction);
        return d.contains(".") ? d : d + ".0";
    }
}
