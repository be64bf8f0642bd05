package org.tocomstream.compress;

import java.util.Arrays;
import java.util.Objects;

/**
 * Multiply-accumulates (MACs) of one image's forward pass through a ViT at a given {@link
 * CompressionLevel} ({@code src/docs/token-reduction.md}, Cost model). The literature's "GFLOPs" for DeiT are these MACs;
 * real FLOPs are twice as many.
 *
 * <p>With D the embedding dim, {@code h = mlpRatio·D} the MLP hidden width, and for block l
 * (0-based) {@code N_in} the tokens entering its attention and {@code N_out} the tokens entering
 * its MLP (token reduction sits between the two; both from {@link TokenCounts#afterEachBlock},
 * with {@code N_in} of block 0 equal to {@link TokenGeometry#tokens()}):
 *
 * <pre>
 * block(l)    = 4·N_in·D²          q, k, v and output projections
 *             + 2·N_in²·D          q·kᵀ and A·v, summed over heads
 *             + 2·N_out·D·h        MLP D → h → D   (= 8·N_out·D² for ratio 4)
 *             + 4·N_in·D·rank      Token Compensator side branch, q and v, down + up (rank 0: none)
 * patchEmbed  = numPatches·D·(C·P²)
 * head        = D·numClasses, twice for a distilled model (class and distillation heads)
 * total       = patchEmbed + Σ_l block(l) + head
 * </pre>
 *
 * <p>A channel-shuffle model ({@link TokenGeometry#attendedWidth()} Ca below D) runs each block's
 * attention and MLP on Ca channels, so every block term above (and below) has Ca in place of D and
 * {@code h = mlpRatio·Ca}; its channel shuffle is a permutation (no MACs). The patch embedding, the
 * head and GTP's propagation and graph act on whole tokens, D channels. Plain ViTs: Ca = D.
 *
 * <p>An IdleViT idle block (s = prefix + kept tokens selected) costs {@code N_in·D² + D² + N_in·D}
 * for the keys of all tokens, the class query and its scores, then {@code 3·s·D² + 2·s²·D + 2·s·D·h}
 * (the selected tokens' keys are not projected again) and {@code 4·s·D·rank + 2·D·rank}.
 *
 * <p>Ignored: biases, LayerNorm, softmax, GELU, residual adds, the position embedding, ToMe's
 * matching (about {@code (N/2)²·d} MACs plus a sort per block, ~0.6 M at N = 197) and EViT's
 * top-k and fusion; all of them are linear in N (softmax: {@code H·N²} exponentials) and small
 * next to the matrix products. Check values at r = 0: DeiT-T 1.25 G, DeiT-S 4.60 G, DeiT-B 17.56 G.
 *
 * <p>GTP adds to each block the propagation, {@code K·P·D} MACs for K kept and P propagated
 * tokens ({@code K·P·(D + 1)} with token scales), and to block 0 the semantic graph's cosine
 * similarities, {@code M²·D} over the M patch tokens (none for the spatial graph); its importance
 * scores, sort and sparsification are sums, maxima and sorts, not counted.
 *
 * <p>Token reuse ({@code src/docs/reuse.md}) is counted in the steady state, every frame reusing
 * its stream's cache (a frame computed in full costs the plain model). With k' = P + k the prefix
 * and the patch tokens each gate recomputes ({@link CompressionLevel#reuseRecomputed}):
 *
 * <pre>
 * rows mode        = 4·k'·D² + 2·k'·N·D + 2·k'·D·h   q, k, v and output projections of k' tokens,
 *                                                     k' queries over N keys (q·kᵀ and A·v), MLP
 * accumulate mode  = 4·k'·D² + 4·k'·N·D + 2·k'·D·h   the same projections and MLP; logits rows
 *                                                     and columns 2·k'·N·D, A·V update 2·k'·N·D
 * </pre>
 *
 * (the accumulate mode is Eventful Transformers' {@code (4+2r)·k·D² + 4·k·N·D} with k', their k
 * counting every token recomputed, the class token included). Not counted: the gates' differences
 * and norms (N·D per gate), LayerNorms on all N tokens, the full N×N softmax (H·N² exponentials)
 * and the column delta (H·N·k') of the accumulate mode, gathers and scatters; no compensator runs.
 *
 * <p>The {@linkplain CompressionLevel#student() student} level costs the student model's plain
 * forward pass, {@code CostModel.of(student).macs(none)}: known only to a cost model made {@link
 * #withStudent} (the job's when it has a student).
 *
 * <p>The compensator term counts an unmerged side branch; use rank 0 when the deltas are merged
 * into the weights or no compensator runs.
 *
 * <pre>{@code
 * CostModel cost = CostModel.of(VitConfig.preset("deit_small_patch16_224").geometry());
 * cost.gmacs(CompressionLevel.tome(8));                        // 3.416...
 * cost.withCompensatorRank(32).macs(CompressionLevel.tome(8)); // adds 128·N_in·D per block
 * }</pre>
 *
 * @param geometry the architecture's token geometry
 * @param compensatorRank rank of the Token Compensator side branch, 0 for none
 * @param student the student model's geometry, which costs the student level; null for none
 */
public record CostModel(TokenGeometry geometry, int compensatorRank, TokenGeometry student) {

    public CostModel {
        Objects.requireNonNull(geometry, "geometry");
        if (compensatorRank < 0) {
            throw new IllegalArgumentException(
                    String.format("compensator rank must be >= 0 but was %d", compensatorRank));
        }
    }

    /** The cost model of {@code geometry} with a compensator branch of the given rank and no student. */
    public CostModel(TokenGeometry geometry, int compensatorRank) {
        this(geometry, compensatorRank, null);
    }

    /** The cost model of {@code geometry} without a compensator side branch. */
    public static CostModel of(TokenGeometry geometry) {
        return new CostModel(geometry, 0);
    }

    /** A copy counting a Token Compensator side branch of the given rank (0 for none). */
    public CostModel withCompensatorRank(int rank) {
        return new CostModel(geometry, rank, student);
    }

    /** A copy that costs the student level as a plain forward pass of a model of {@code student}. */
    public CostModel withStudent(TokenGeometry student) {
        return new CostModel(geometry, compensatorRank, Objects.requireNonNull(student, "student geometry"));
    }

    /**
     * MACs of the whole forward pass for one image.
     *
     * @throws IllegalArgumentException for the student level when this cost model has no student
     */
    public long macs(CompressionLevel level) {
        if (level.isStudent()) {
            return studentCost().macs(CompressionLevel.none());
        }
        long total = patchEmbedMacs() + headMacs();
        for (long block : blockMacs(level)) {
            total += block;
        }
        return total;
    }

    /** {@link #macs} in units of 10⁹. */
    public double gmacs(CompressionLevel level) {
        return macs(level) / 1e9;
    }

    /**
     * MACs of each transformer block for one image, {@code geometry.depth()} elements: attention on
     * the tokens entering the block, MLP on the tokens left after its reduction, plus the
     * compensator branch if any. Excludes the patch embedding and the head. The student level
     * gives the student's blocks ({@code student.depth()} elements).
     */
    public long[] blockMacs(CompressionLevel level) {
        Objects.requireNonNull(level, "level");
        if (level.isStudent()) {
            return studentCost().blockMacs(CompressionLevel.none());
        }
        if (level.isReuse()) {
            return reuseBlockMacs(level);
        }
        int[] after = TokenCounts.afterEachBlock(geometry, level);
        long d = geometry.attendedWidth();
        long hidden = geometry.mlpWidth();
        long[] out = new long[after.length];
        long nIn = geometry.tokens();
        for (int l = 0; l < after.length; l++) {
            long nOut = after[l];
            int idleKept = TokenCounts.idleKept(level, l, after.length, geometry.patches());
            out[l] = idleKept >= 0
                    ? idleBlockMacs(nIn, geometry.prefixTokens() + idleKept)
                    : 4 * nIn * d * d + 2 * nIn * nIn * d + 2 * nOut * d * hidden + 4 * nIn * d * compensatorRank;
            if (level.method() == CompressionLevel.Method.GTP) {
                out[l] += level.gtpParams().overheadMacs(geometry, l, nIn, nOut);
            }
            nIn = nOut;
        }
        return out;
    }

    /**
     * An IdleViT block ({@code src/docs/token-reduction.md}, IdleViT): keys of all {@code n} tokens
     * and the class token's query rank the patches ({@code n·D² + D² + n·D}); the block then runs
     * on the {@code s} selected tokens, reusing their keys: q, v and output projections {@code
     * 3·s·D²}, attention {@code 2·s²·D}, MLP {@code 2·s·D·h}, and the compensator branch on s
     * tokens plus the class query's q part.
     */
    private long idleBlockMacs(long n, long s) {
        long d = geometry.attendedWidth();
        long scoring = n * d * d + d * d + n * d + 2 * d * compensatorRank;
        return scoring + 3 * s * d * d + 2 * s * s * d + 2 * s * d * geometry.mlpWidth() + 4 * s * d * compensatorRank;
    }

    /** Steady-state token reuse: every block recomputes k' = P + k tokens (see the class comment). */
    private long[] reuseBlockMacs(CompressionLevel level) {
        long d = geometry.attendedWidth();
        long n = geometry.tokens();
        long k = geometry.prefixTokens() + level.reuseRecomputed(geometry.patches());
        long attention = level.reuseAccumulates() ? 4 * k * n * d : 2 * k * n * d;
        long[] out = new long[geometry.depth()];
        Arrays.fill(out, 4 * k * d * d + attention + 2 * k * d * geometry.mlpWidth());
        return out;
    }

    private CostModel studentCost() {
        if (student == null) {
            throw new IllegalArgumentException(
                    "compression level student needs a student model: this cost model has none (CostModel.withStudent)");
        }
        return CostModel.of(student);
    }

    /** MACs of the patch embedding (a P×P stride-P convolution), independent of the level. */
    public long patchEmbedMacs() {
        return (long) geometry.patches() * geometry.width() * geometry.patchValues();
    }

    /** MACs of the classifier head(s), independent of the level. */
    public long headMacs() {
        return (long) geometry.width() * geometry.headOutputs();
    }
}
