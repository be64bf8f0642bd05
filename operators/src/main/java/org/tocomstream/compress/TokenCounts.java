package org.tocomstream.compress;

/**
 * How many tokens each block sees under a {@link CompressionLevel}: the single place where ToMe's
 * clamp and EViT's keep count are defined, shared by the forward pass and the cost model
 * (DiffRate's counts come from {@link DiffRateSchedule#tokensAfterEachBlock}).
 */
public final class TokenCounts {

    private TokenCounts() {}

    /**
     * ToMe's clamp ({@code src/docs/token-reduction.md}, The clamp): at most half of the unprotected tokens can
     * be merged away in one block.
     *
     * @param requested r asked for by the schedule
     * @param tokens tokens entering the block, N
     * @param prefix protected tokens (class, distillation)
     */
    public static int clampMerge(int requested, int tokens, int prefix) {
        return Math.max(0, Math.min(requested, (tokens - prefix) / 2));
    }

    /**
     * EViT's kept count ({@code src/docs/token-reduction.md}, EViT): {@code ceil(rate * (N - prefix))}
     * non-prefix tokens are kept; the rest are fused into one extra token (none is added when all
     * are kept).
     */
    public static int evitKept(double keepRate, int tokens, int prefix) {
        int candidates = tokens - prefix;
        // Plain double product then ceil, as the reference does (no epsilon): both sides must agree
        // on products such as 0.7 * 140 = 98.00000000000001, which rounds up to 99.
        return Math.min(candidates, (int) Math.ceil(keepRate * candidates));
    }

    /**
     * GTP's removal count ({@code src/docs/token-reduction.md}, GTP): P patch tokens per block, but
     * at least one patch token stays beside the prefix tokens.
     */
    public static int clampPropagation(int requested, int tokens, int prefix) {
        return Math.max(0, Math.min(requested, tokens - prefix - 1));
    }

    /**
     * Tokens leaving each block (entering its MLP), for {@code geometry.depth()} blocks. Element
     * {@code l} is N_l; the attention of block {@code l} runs on N_{l-1}, with N_{-1} = N0.
     */
    public static int[] afterEachBlock(TokenGeometry geometry, CompressionLevel level) {
        if (level.method() == CompressionLevel.Method.DIFFRATE) {
            return level.diffRateSchedule().tokensAfterEachBlock(geometry);
        }
        int depth = geometry.depth();
        int prefix = geometry.prefixTokens();
        int[] schedule = level.tomeSchedule(depth);
        int[] out = new int[depth];
        int n = geometry.tokens();
        for (int l = 0; l < depth; l++) {
            if (level.method() == CompressionLevel.Method.TOME) {
                n -= clampMerge(schedule[l], n, prefix);
            } else if (level.method() == CompressionLevel.Method.GTP) {
                n -= clampPropagation(level.gtpParams().props(), n, prefix);
            } else if (level.evitReducesAt(l)) {
                int kept = evitKept(level.keepRate(), n, prefix);
                if (kept < n - prefix) {
                    n = prefix + kept + 1;
                }
            }
            out[l] = n;
        }
        return out;
    }

    /**
     * Patch tokens an IdleViT block computes on besides the prefix ({@link IdleSchedule#kept}), or
     * -1 when block {@code block} runs on every token (the level does not idle there).
     */
    public static int idleKept(CompressionLevel level, int block, int depth, int patches) {
        return level.idleSchedule().kept(block, depth, patches);
    }

    /**
     * Tokens each block computes on (its queries, values and MLP), for {@code geometry.depth()}
     * blocks: an IdleViT block's selected set, prefix plus {@link #idleKept}; every other block the
     * tokens entering it (N_{l-1}, with N_{-1} = N0). {@link #afterEachBlock} is unchanged by idling:
     * idle tokens pass through, so later blocks still see N tokens.
     */
    public static int[] computedEachBlock(TokenGeometry geometry, CompressionLevel level) {
        int depth = geometry.depth();
        int[] after = afterEachBlock(geometry, level);
        int[] out = new int[depth];
        for (int l = 0; l < depth; l++) {
            int kept = idleKept(level, l, depth, geometry.patches());
            out[l] = kept >= 0 ? geometry.prefixTokens() + kept : (l == 0 ? geometry.tokens() : after[l - 1]);
        }
        return out;
    }
}
