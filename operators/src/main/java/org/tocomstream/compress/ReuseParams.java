package org.tocomstream.compress;

import java.io.Serializable;

/**
 * Token reuse's parameters ({@code src/docs/reuse.md}): how many patch tokens each block
 * recomputes per frame of a video stream, the rest coming from the stream's cache of its earlier
 * frames, and how the attention is updated. Text (after {@code reuse:}): a fraction of the patch
 * tokens in (0, 1] written with a decimal point ({@code 0.25}, {@code 1.0}) or a count of patch
 * tokens ({@code 49}), optionally followed by {@code ,attn=rows} (the default: the recomputed
 * queries attend over all cached keys and values, the other tokens keep their cached attention
 * output) or {@code ,attn=accumulate} (a per-stream logits buffer updated in the recomputed rows
 * and columns, a softmax over all of it and a running A·V sum updated by the changed columns and
 * values, with its own gate before the output projection). The canonical text omits {@code
 * attn=rows}. The prefix tokens (class, distillation) are always recomputed on top. Immutable.
 */
final class ReuseParams implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The fraction in (0, 1], or NaN for a count. */
    private final double fraction;
    /** The count, >= 1, or 0 for a fraction. */
    private final int count;
    /** The attention mode: false for rows, true for accumulate. */
    private final boolean accumulate;

    private ReuseParams(double fraction, int count, boolean accumulate) {
        this.fraction = fraction;
        this.count = count;
        this.accumulate = accumulate;
    }

    static ReuseParams fraction(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException(
                    "the fraction of patch tokens recomputed must be in (0, 1] but was " + fraction);
        }
        return new ReuseParams(fraction, 0, false);
    }

    static ReuseParams count(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("the patch tokens recomputed must be >= 1 but were " + count);
        }
        return new ReuseParams(Double.NaN, count, false);
    }

    /** These parameters in the given attention mode (accumulate, else rows). */
    ReuseParams withAccumulate(boolean accumulateMode) {
        return new ReuseParams(fraction, count, accumulateMode);
    }

    /** Parses the text after {@code reuse:} (see the class comment). */
    static ReuseParams parse(String body) {
        String[] parts = body.split(",", -1);
        String s = parts[0].trim();
        ReuseParams p = s.contains(".") ? fraction(Double.parseDouble(s)) : count(Integer.parseInt(s));
        if (parts.length > 2) {
            throw new IllegalArgumentException("a reuse level takes one option, attn=rows|accumulate");
        }
        if (parts.length == 2) {
            String option = parts[1].trim();
            boolean accumulateMode = switch (option) {
                case "attn=rows" -> false;
                case "attn=accumulate" -> true;
                default ->
                    throw new IllegalArgumentException(
                            "unknown reuse option '" + option + "', expected attn=rows or attn=accumulate");
            };
            p = p.withAccumulate(accumulateMode);
        }
        return p;
    }

    /** Whether the attention runs in the accumulate mode (else the rows mode). */
    boolean accumulate() {
        return accumulate;
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
        String mode = accumulate ? ",attn=accumulate" : "";
        if (count > 0) {
            return count + mode;
        }
        String d = LevelText.decimal(fraction);
        return (d.contains(".") ? d : d + ".0") + mode;
    }
}
