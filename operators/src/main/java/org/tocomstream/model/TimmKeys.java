package org.tocomstream.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * timm's state-dict names for ViT/DeiT: the canonical weight vocabulary of this project. Every
 * other layout (Hugging Face) is translated into these names once, at load time.
 */
public final class TimmKeys {

    public static final String PATCH_EMBED_WEIGHT = "patch_embed.proj.weight";
    public static final String PATCH_EMBED_BIAS = "patch_embed.proj.bias";
    public static final String CLS_TOKEN = "cls_token";
    public static final String DIST_TOKEN = "dist_token";
    public static final String POS_EMBED = "pos_embed";
    public static final String NORM_WEIGHT = "norm.weight";
    public static final String NORM_BIAS = "norm.bias";
    public static final String HEAD_WEIGHT = "head.weight";
    public static final String HEAD_BIAS = "head.bias";
    public static final String HEAD_DIST_WEIGHT = "head_dist.weight";
    public static final String HEAD_DIST_BIAS = "head_dist.bias";

    /** Suffixes of the per-block tensors, after {@code blocks.{i}.}. */
    public static final String NORM1_WEIGHT = "norm1.weight";

    public static final String NORM1_BIAS = "norm1.bias";
    public static final String QKV_WEIGHT = "attn.qkv.weight";
    public static final String QKV_BIAS = "attn.qkv.bias";
    public static final String PROJ_WEIGHT = "attn.proj.weight";
    public static final String PROJ_BIAS = "attn.proj.bias";
    public static final String NORM2_WEIGHT = "norm2.weight";
    public static final String NORM2_BIAS = "norm2.bias";
    public static final String FC1_WEIGHT = "mlp.fc1.weight";
    public static final String FC1_BIAS = "mlp.fc1.bias";
    public static final String FC2_WEIGHT = "mlp.fc2.weight";
    public static final String FC2_BIAS = "mlp.fc2.bias";

    private TimmKeys() {}

    /** The name of a per-block tensor: {@code blocks.{i}.{suffix}}. */
    public static String block(int index, String suffix) {
        return "blocks." + index + "." + suffix;
    }

    /**
     * Every tensor a model of this architecture has, with its shape, in a stable order. PyTorch
     * {@code Linear} weights are {@code [out, in]}. A channel-shuffle model ({@link
     * VitConfig#isChannelShuffled()}) has the same names; its per-block tensors are {@link
     * VitConfig#attendedDim()} wide, the embedding, prefix tokens, final norm and head {@code
     * embedDim} wide.
     */
    public static Map<String, long[]> expectedShapes(VitConfig cfg) {
        long d = cfg.embedDim();
        long hidden = cfg.mlpHiddenDim();
        long a = cfg.attendedDim(); // the blocks' width: d for a plain ViT
        long p = cfg.patchSize();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put(CLS_TOKEN, new long[] {1, 1, d});
        if (cfg.distilled()) {
            shapes.put(DIST_TOKEN, new long[] {1, 1, d});
        }
        shapes.put(POS_EMBED, new long[] {1, cfg.numTokens(), d});
        shapes.put(PATCH_EMBED_WEIGHT, new long[] {d, cfg.inChannels(), p, p});
        shapes.put(PATCH_EMBED_BIAS, new long[] {d});
        for (int i = 0; i < cfg.depth(); i++) {
            shapes.put(block(i, NORM1_WEIGHT), new long[] {a});
            shapes.put(block(i, NORM1_BIAS), new long[] {a});
            shapes.put(block(i, QKV_WEIGHT), new long[] {3 * a, a});
            if (cfg.qkvBias()) {
                shapes.put(block(i, QKV_BIAS), new long[] {3 * a});
            }
            shapes.put(block(i, PROJ_WEIGHT), new long[] {a, a});
            shapes.put(block(i, PROJ_BIAS), new long[] {a});
            shapes.put(block(i, NORM2_WEIGHT), new long[] {a});
            shapes.put(block(i, NORM2_BIAS), new long[] {a});
            shapes.put(block(i, FC1_WEIGHT), new long[] {hidden, a});
            shapes.put(block(i, FC1_BIAS), new long[] {hidden});
            shapes.put(block(i, FC2_WEIGHT), new long[] {a, hidden});
            shapes.put(block(i, FC2_BIAS), new long[] {a});
        }
        shapes.put(NORM_WEIGHT, new long[] {d});
        shapes.put(NORM_BIAS, new long[] {d});
        shapes.put(HEAD_WEIGHT, new long[] {cfg.numClasses(), d});
        shapes.put(HEAD_BIAS, new long[] {cfg.numClasses()});
        if (cfg.distilled()) {
            shapes.put(HEAD_DIST_WEIGHT, new long[] {cfg.numClasses(), d});
            shapes.put(HEAD_DIST_BIAS, new long[] {cfg.numClasses()});
        }
        return shapes;
    }
}
