package org.tocomstream.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.tocomstream.compress.TokenGeometry;

/**
 * The architecture of a ViT/DeiT image classifier: everything needed to build the forward pass and
 * to check a checkpoint's tensor shapes. Weights and preprocessing live elsewhere ({@link
 * ModelSpec}).
 *
 * <p>Pre-norm blocks ({@code x = x + Attn(LN1(x)); x = x + MLP(LN2(x))}), exact GELU, learned
 * position embedding covering the class token (and the distillation token when {@link #distilled}),
 * classifier head on the class token; a distilled model averages its two heads. With {@code
 * attendedFraction} below 1 the blocks are channel-shuffle blocks ({@code src/docs/student.md}):
 * attention and MLP on the first {@link #attendedDim()} channels, a channel shuffle at the end.
 *
 * <pre>{@code
 * VitConfig cfg = VitConfig.preset("deit_small_patch16_224");
 * cfg.numTokens(); // 197
 * }</pre>
 *
 * @param name preset or user-chosen architecture name, informational only
 * @param imageSize input height and width in pixels (square inputs)
 * @param patchSize patch height and width in pixels; must divide {@code imageSize}
 * @param inChannels input channels (3 for RGB)
 * @param numClasses classifier outputs
 * @param embedDim token width D
 * @param depth number of transformer blocks L
 * @param numHeads attention heads H; must divide {@code embedDim}
 * @param mlpRatio MLP hidden width as a multiple of D
 * @param qkvBias whether the fused qkv projection has a bias
 * @param distilled whether the model has a DeiT distillation token and a second head
 * @param layerNormEps LayerNorm epsilon (timm: 1e-6; Hugging Face checkpoints: 1e-12)
 * @param attendedFraction share α of the D channels each block attends to: 1 is the plain ViT;
 *     below 1 the channel-shuffle block ({@link ChannelShuffle}, {@code src/docs/student.md}) runs
 *     attention and MLP on the first α·D channels (the attended group), passes the others (the
 *     idle group) through, and ends with a channel shuffle of 2 groups
 */
public record VitConfig(
        String name,
        int imageSize,
        int patchSize,
        int inChannels,
        int numClasses,
        int embedDim,
        int depth,
        int numHeads,
        double mlpRatio,
        boolean qkvBias,
        boolean distilled,
        double layerNormEps,
        double attendedFraction) {

    private static final Map<String, VitConfig> PRESETS = new LinkedHashMap<>();

    static {
        register(deit("deit_tiny_patch16_224", 192, 3, false));
        register(deit("deit_small_patch16_224", 384, 6, false));
        register(deit("deit_base_patch16_224", 768, 12, false));
        register(deit("deit_tiny_distilled_patch16_224", 192, 3, true));
        register(deit("deit_small_distilled_patch16_224", 384, 6, true));
        register(deit("deit_base_distilled_patch16_224", 768, 12, true));
        // Small shapes for tests and golden fixtures: 64 patches + class token = 65 tokens, 12 blocks
        // so EViT's default reduction blocks (4, 7, 10) exist.
        register(new VitConfig("vit_test_tiny", 32, 4, 3, 10, 48, 12, 3, 4.0, true, false, 1e-6));
        register(new VitConfig("deit_test_tiny_distilled", 32, 4, 3, 10, 48, 12, 3, 4.0, true, true, 1e-6));
        // The bundled demo model: 64 px synthetic camera frames, 8 x 8 patches (65 tokens), 2.4 M
        // parameters (9.7 MB in F32); ~200 images/s at batch 16 on 2 CPU cores, so the model is
        // the bottleneck of the embedded pipeline and compression buys real capacity.
        register(new VitConfig("vit_demo", 64, 8, 3, 8, 128, 12, 4, 4.0, true, false, 1e-6));
        // Channel-shuffle tiny ViTs (src/docs/student.md): residual width 2·D, attention and MLP on
        // the attended half (D channels), so each block costs what the plain width-D block costs.
        register(new VitConfig("vit_shuffle_tiny", 224, 16, 3, 1000, 384, 12, 3, 4.0, true, false, 1e-6, 0.5));
        register(new VitConfig("vit_shuffle_test_tiny", 32, 4, 3, 10, 96, 12, 3, 4.0, true, false, 1e-6, 0.5));
        // The demo domain's small students: a plain tiny ViT and its channel-shuffle counterpart
        // at equal block MACs (about a sixth of vit_demo's).
        register(new VitConfig("vit_demo_tiny", 64, 8, 3, 8, 48, 12, 3, 4.0, true, false, 1e-6));
        register(new VitConfig("vit_demo_shuffle_tiny", 64, 8, 3, 8, 96, 12, 3, 4.0, true, false, 1e-6, 0.5));
    }

    /** A plain ViT ({@code attendedFraction} 1): the twelve fields of the original layout. */
    public VitConfig(
            String name,
            int imageSize,
            int patchSize,
            int inChannels,
            int numClasses,
            int embedDim,
            int depth,
            int numHeads,
            double mlpRatio,
            boolean qkvBias,
            boolean distilled,
            double layerNormEps) {
        this(
                name,
                imageSize,
                patchSize,
                inChannels,
                numClasses,
                embedDim,
                depth,
                numHeads,
                mlpRatio,
                qkvBias,
                distilled,
                layerNormEps,
                1.0);
    }

    /** The canonical constructor: validates every field, naming the bad one. */
    public VitConfig {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("architecture name must be non-empty");
        }
        requirePositive("imageSize", imageSize);
        requirePositive("patchSize", patchSize);
        requirePositive("inChannels", inChannels);
        requirePositive("numClasses", numClasses);
        requirePositive("embedDim", embedDim);
        requirePositive("depth", depth);
        requirePositive("numHeads", numHeads);
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException(
                    String.format("patchSize %d must divide imageSize %d", patchSize, imageSize));
        }
        int attended = ChannelShuffle.attendedWidth(embedDim, attendedFraction);
        if (attended % numHeads != 0) {
            throw new IllegalArgumentException(
                    attended == embedDim
                            ? String.format("numHeads %d must divide embedDim %d", numHeads, embedDim)
                            : String.format(
                                    "numHeads %d must divide the attended width %d (attendedFraction %s of embedDim %d)",
                                    numHeads, attended, attendedFraction, embedDim));
        }
        if (!(mlpRatio > 0) || Math.round(attended * mlpRatio) != attended * mlpRatio) {
            throw new IllegalArgumentException(
                    attended == embedDim
                            ? String.format(
                                    "mlpRatio %s must be > 0 and give an integer hidden width for embedDim %d",
                                    mlpRatio, embedDim)
                            : String.format(
                                    "mlpRatio %s must be > 0 and give an integer hidden width for the attended width %d",
                                    mlpRatio, attended));
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layerNormEps must be > 0 but was " + layerNormEps);
        }
    }

    /**
     * The named preset.
     *
     * @throws IllegalArgumentException naming the unknown preset and listing the known ones
     */
    public static VitConfig preset(String name) {
        VitConfig cfg = PRESETS.get(name);
        if (cfg == null) {
            throw new IllegalArgumentException(
                    String.format("unknown preset '%s'; known presets: %s", name, String.join(", ", PRESETS.keySet())));
        }
        return cfg;
    }

    /** Names of all presets, in registration order. */
    public static Set<String> presetNames() {
        return Collections.unmodifiableSet(PRESETS.keySet());
    }

    /** Patches per side. */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** Number of patch tokens. */
    public int numPatches() {
        return gridSize() * gridSize();
    }

    /** Tokens that are never merged or pruned: the class token, plus the distillation token. */
    public int numPrefixTokens() {
        return distilled ? 2 : 1;
    }

    /** Tokens entering the first block (patches plus prefix tokens), N0. */
    public int numTokens() {
        return numPatches() + numPrefixTokens();
    }

    /** Channels each block attends to and runs its MLP on: α·D, all D for a plain ViT. */
    public int attendedDim() {
        return ChannelShuffle.attendedWidth(embedDim, attendedFraction);
    }

    /** Whether the blocks are channel-shuffle blocks ({@code attendedFraction} below 1). */
    public boolean isChannelShuffled() {
        return attendedDim() < embedDim;
    }

    /** Per-head width d = α·D / H (D / H for a plain ViT). */
    public int headDim() {
        return attendedDim() / numHeads;
    }

    /** MLP hidden width, {@code mlpRatio} times the attended width. */
    public int mlpHiddenDim() {
        return (int) Math.round(attendedDim() * mlpRatio);
    }

    /**
     * The token geometry of this architecture, what token counts and the cost model read: {@link
     * #numTokens()} tokens, {@link #numPrefixTokens()} of them protected, D wide, L deep, the MLP's
     * hidden width, C·P² values per patch, one head per prefix token, and the attended width.
     */
    public TokenGeometry geometry() {
        int headOutputs = distilled ? 2 * numClasses : numClasses;
        return new TokenGeometry(
                numTokens(),
                numPrefixTokens(),
                embedDim,
                depth,
                mlpHiddenDim(),
                inChannels * patchSize * patchSize,
                headOutputs,
                attendedDim());
    }

    /** A copy with another number of classes (fine-tuning onto new labels). */
    public VitConfig withNumClasses(int classes) {
        return new VitConfig(
                name,
                imageSize,
                patchSize,
                inChannels,
                classes,
                embedDim,
                depth,
                numHeads,
                mlpRatio,
                qkvBias,
                distilled,
                layerNormEps,
                attendedFraction);
    }

    /** A copy with another input size (the position embedding grows or shrinks with it). */
    public VitConfig withImageSize(int size) {
        return new VitConfig(
                name,
                size,
                patchSize,
                inChannels,
                numClasses,
                embedDim,
                depth,
                numHeads,
                mlpRatio,
                qkvBias,
                distilled,
                layerNormEps,
                attendedFraction);
    }

    /** A copy with another LayerNorm epsilon (Hugging Face checkpoints use 1e-12). */
    public VitConfig withLayerNormEps(double eps) {
        return new VitConfig(
                name,
                imageSize,
                patchSize,
                inChannels,
                numClasses,
                embedDim,
                depth,
                numHeads,
                mlpRatio,
                qkvBias,
                distilled,
                eps,
                attendedFraction);
    }

    private static VitConfig deit(String name, int dim, int heads, boolean distilled) {
        return new VitConfig(name, 224, 16, 3, 1000, dim, 12, heads, 4.0, true, distilled, 1e-6);
    }

    private static void register(VitConfig cfg) {
        PRESETS.put(cfg.name(), cfg);
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(field + " must be > 0 but was " + value);
        }
    }
}
