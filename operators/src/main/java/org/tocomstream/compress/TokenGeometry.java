package org.tocomstream.compress;

/**
 * The shape of a ViT as token reduction and the cost model see it: how many tokens enter the
 * first block, how many of them are protected, how wide and deep the network is, and the sizes of
 * the patch embedding and the head that every level pays in full. The model side builds it from
 * its architecture ({@code VitConfig#geometry()}), so this package needs nothing from the model.
 *
 * <pre>{@code
 * TokenGeometry deitS = VitConfig.preset("deit_small_patch16_224").geometry();
 * deitS.tokens();                                             // 197
 * TokenCounts.afterEachBlock(deitS, CompressionLevel.tome(8)); // 189, 181, ..., 101
 * }</pre>
 *
 * @param tokens tokens entering the first block, N0, prefix tokens included
 * @param prefixTokens tokens never merged or pruned: the class token, plus the distillation token
 * @param width token width D
 * @param depth number of transformer blocks L
 * @param mlpWidth hidden width of each block's MLP
 * @param patchValues input values of one patch, C·P² (the patch embedding maps them onto D)
 * @param headOutputs outputs of the classifier head(s): classes, twice for a distilled model
 * @param attendedWidth channels each block's attention and MLP run on: {@code width} for a plain
 *     ViT, fewer for a channel-shuffle model (the rest pass through the block; tokens keep {@code
 *     width} channels, so token counts do not depend on it)
 */
public record TokenGeometry(
        int tokens,
        int prefixTokens,
        int width,
        int depth,
        int mlpWidth,
        int patchValues,
        int headOutputs,
        int attendedWidth) {

    /** A plain ViT's geometry: every block attends to all {@code width} channels. */
    public TokenGeometry(
            int tokens, int prefixTokens, int width, int depth, int mlpWidth, int patchValues, int headOutputs) {
        this(tokens, prefixTokens, width, depth, mlpWidth, patchValues, headOutputs, width);
    }

    /** The canonical constructor: validates every field, naming the bad one. */
    public TokenGeometry {
        if (prefixTokens < 0 || tokens <= prefixTokens) {
            throw new IllegalArgumentException(String.format(
                    "tokens %d must exceed the %d prefix tokens (and those be >= 0)", tokens, prefixTokens));
        }
        requirePositive("width", width);
        requirePositive("depth", depth);
        requirePositive("mlpWidth", mlpWidth);
        requirePositive("patchValues", patchValues);
        requirePositive("headOutputs", headOutputs);
        if (attendedWidth <= 0 || attendedWidth > width) {
            throw new IllegalArgumentException(
                    String.format("attendedWidth must be in [1, width %d] but was %d", width, attendedWidth));
        }
    }

    /** Patch tokens: {@link #tokens} less the prefix tokens. */
    public int patches() {
        return tokens - prefixTokens;
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(String.format("%s must be > 0 but was %d", field, value));
        }
    }
}
