package org.tocomstream.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Hugging Face layouts {@link VitCheckpoint} accepts, in both directions: the name tables, the
 * renaming of one state dict to timm names (an instance collects one translation, q/k/v parts
 * included, and fuses them at the end), and the inverse for export. Not thread-safe.
 */
final class HuggingFaceLayout {

    static final String HF_VIT = "vit.";
    static final String HF_DEIT = "deit.";
    private static final String HF_BLOCK = "encoder.layer.";
    private static final String HF_QKV = "attention.attention.";
    private static final String[] QKV_PARTS = {"query", "key", "value"};

    /** Hugging Face names after the {@code vit.}/{@code deit.} prefix, outside the blocks. */
    private static final Map<String, String> HF_EMBEDDINGS = new LinkedHashMap<>();

    /** Hugging Face names after {@code {p}.encoder.layer.{i}.}, except q/k/v. */
    private static final Map<String, String> HF_BLOCK_PARTS = new LinkedHashMap<>();

    /** Hugging Face head names (no prefix); the value is the timm name. */
    private static final Map<String, String> HF_HEADS = new LinkedHashMap<>();

    /** Hugging Face names after the prefix that classifiers never use. */
    private static final List<String> HF_IGNORED =
            List.of("pooler.dense.weight", "pooler.dense.bias", "embeddings.mask_token");

    static {
        HF_EMBEDDINGS.put("embeddings.cls_token", TimmKeys.CLS_TOKEN);
        HF_EMBEDDINGS.put("embeddings.distillation_token", TimmKeys.DIST_TOKEN);
        HF_EMBEDDINGS.put("embeddings.position_embeddings", TimmKeys.POS_EMBED);
        HF_EMBEDDINGS.put("embeddings.patch_embeddings.projection.weight", TimmKeys.PATCH_EMBED_WEIGHT);
        HF_EMBEDDINGS.put("embeddings.patch_embeddings.projection.bias", TimmKeys.PATCH_EMBED_BIAS);
        HF_EMBEDDINGS.put("layernorm.weight", TimmKeys.NORM_WEIGHT);
        HF_EMBEDDINGS.put("layernorm.bias", TimmKeys.NORM_BIAS);

        HF_BLOCK_PARTS.put("layernorm_before.weight", TimmKeys.NORM1_WEIGHT);
        HF_BLOCK_PARTS.put("layernorm_before.bias", TimmKeys.NORM1_BIAS);
        HF_BLOCK_PARTS.put("attention.output.dense.weight", TimmKeys.PROJ_WEIGHT);
        HF_BLOCK_PARTS.put("attention.output.dense.bias", TimmKeys.PROJ_BIAS);
        HF_BLOCK_PARTS.put("layernorm_after.weight", TimmKeys.NORM2_WEIGHT);
        HF_BLOCK_PARTS.put("layernorm_after.bias", TimmKeys.NORM2_BIAS);
        HF_BLOCK_PARTS.put("intermediate.dense.weight", TimmKeys.FC1_WEIGHT);
        HF_BLOCK_PARTS.put("intermediate.dense.bias", TimmKeys.FC1_BIAS);
        HF_BLOCK_PARTS.put("output.dense.weight", TimmKeys.FC2_WEIGHT);
        HF_BLOCK_PARTS.put("output.dense.bias", TimmKeys.FC2_BIAS);

        HF_HEADS.put("classifier.weight", TimmKeys.HEAD_WEIGHT);
        HF_HEADS.put("classifier.bias", TimmKeys.HEAD_BIAS);
        HF_HEADS.put("cls_classifier.weight", TimmKeys.HEAD_WEIGHT);
        HF_HEADS.put("cls_classifier.bias", TimmKeys.HEAD_BIAS);
        HF_HEADS.put("distillation_classifier.weight", TimmKeys.HEAD_DIST_WEIGHT);
        HF_HEADS.put("distillation_classifier.bias", TimmKeys.HEAD_DIST_BIAS);
    }

    private final String prefix;
    private final String source;
    private final Map<String, HostTensor> out = new LinkedHashMap<>();
    private final Map<String, String> origin = new LinkedHashMap<>();
    // blocks.{i}.attn.qkv.{weight|bias} -> the q, k, v source names and tensors
    private final Map<String, HostTensor[]> qkv = new TreeMap<>();
    private final Map<String, String[]> qkvNames = new TreeMap<>();
    private final List<String> ignored = new ArrayList<>();

    /**
     * @param prefix the checkpoint's prefix, {@link #HF_VIT} or {@link #HF_DEIT}
     * @param source names the origin in error messages, e.g. a file name
     */
    HuggingFaceLayout(String prefix, String source) {
        this.prefix = prefix;
        this.source = source;
    }

    /** {@code vit.}, {@code deit.}, or {@code null} for timm names. */
    static String prefixOf(Iterable<String> keys, String source) throws CheckpointException {
        String found = null;
        for (String key : keys) {
            String prefix = key.startsWith(HF_VIT) ? HF_VIT : key.startsWith(HF_DEIT) ? HF_DEIT : null;
            if (prefix == null) {
                continue;
            }
            if (found != null && !found.equals(prefix)) {
                throw new CheckpointException(String.format(
                        "%s: mixes Hugging Face prefixes '%s' and '%s' (e.g. '%s')", source, found, prefix, key));
            }
            found = prefix;
        }
        return found;
    }

    /**
     * Renames one tensor, or holds it back as a q/k/v part or as a tensor classifiers never use.
     *
     * @throws CheckpointException for a name of no Hugging Face classifier, or a second tensor
     *     that maps to the same timm name
     */
    void add(String key, HostTensor tensor) throws CheckpointException {
        String timm = null;
        if (HF_HEADS.containsKey(key)) {
            timm = HF_HEADS.get(key);
        } else if (key.startsWith(prefix)) {
            String rest = key.substring(prefix.length());
            if (HF_IGNORED.contains(rest)) {
                ignored.add(key);
                return;
            }
            timm = HF_EMBEDDINGS.get(rest);
            if (timm == null && rest.startsWith(HF_BLOCK)) {
                String afterBlock = rest.substring(HF_BLOCK.length());
                int dot = afterBlock.indexOf('.');
                int index = dot > 0 ? parseIndex(afterBlock.substring(0, dot)) : -1;
                String part = afterBlock.substring(dot + 1);
                if (index >= 0 && part.startsWith(HF_QKV)) {
                    if (addQkvPart(index, part.substring(HF_QKV.length()), key, tensor)) {
                        return;
                    }
                } else if (index >= 0 && HF_BLOCK_PARTS.containsKey(part)) {
                    timm = TimmKeys.block(index, HF_BLOCK_PARTS.get(part));
                }
            }
        }
        if (timm == null) {
            throw new CheckpointException(String.format(
                    "%s: unexpected tensor '%s' in a Hugging Face (%s*) checkpoint", source, key, prefix));
        }
        put(timm, key, tensor);
    }

    /**
     * Holds back {@code query|key|value}.{@code weight|bias} of block {@code index}; false for any
     * other name after {@code attention.attention.}.
     */
    private boolean addQkvPart(int index, String qkvPart, String key, HostTensor tensor) {
        String[] which = qkvPart.split("\\.");
        int p = which.length == 2 ? Arrays.asList(QKV_PARTS).indexOf(which[0]) : -1;
        if (p >= 0 && (which[1].equals("weight") || which[1].equals("bias"))) {
            String target = TimmKeys.block(index, "attn.qkv." + which[1]);
            qkv.computeIfAbsent(target, k -> new HostTensor[3])[p] = tensor;
            qkvNames.computeIfAbsent(target, k -> new String[3])[p] = key;
            return true;
        }
        return false;
    }

    /**
     * The tensors added so far under timm names, q/k/v fused into {@code attn.qkv}.
     *
     * @throws CheckpointException when a q/k/v part is missing or the parts do not fit together
     */
    Map<String, HostTensor> timmTensors() throws CheckpointException {
        for (Map.Entry<String, HostTensor[]> e : qkv.entrySet()) {
            String target = e.getKey();
            HostTensor[] parts = e.getValue();
            String[] names = qkvNames.get(target);
            for (int p = 0; p < 3; p++) {
                if (parts[p] == null) {
                    String present = names[(p + 1) % 3] != null ? names[(p + 1) % 3] : names[(p + 2) % 3];
                    String kind = target.substring(target.lastIndexOf('.') + 1);
                    String absent = present.substring(0, present.lastIndexOf(HF_QKV) + HF_QKV.length()) + QKV_PARTS[p]
                            + "." + kind;
                    throw new CheckpointException(String.format(
                            "%s: missing tensor '%s' (query, key and value together make %s)", source, absent, target));
                }
            }
            put(target, String.join(" + ", names), concatRows(parts, names, source));
        }
        return out;
    }

    /** The Hugging Face names that were left out because classifiers never use them. */
    List<String> ignored() {
        return ignored;
    }

    /** See {@link VitCheckpoint#toHuggingFace}; {@code valid} is already validated. */
    static Map<String, HostTensor> fromTimm(Map<String, HostTensor> valid, boolean distilled) {
        String prefix = distilled ? HF_DEIT : HF_VIT;
        Map<String, String> inverse = new LinkedHashMap<>();
        HF_EMBEDDINGS.forEach((hf, t) -> inverse.put(t, prefix + hf));
        HF_HEADS.forEach((hf, t) -> {
            boolean teacherHead = !hf.startsWith("classifier.");
            if (teacherHead == distilled) {
                inverse.put(t, hf);
            }
        });
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : valid.entrySet()) {
            String name = e.getKey();
            HostTensor t = e.getValue();
            if (inverse.containsKey(name)) {
                out.put(inverse.get(name), t);
                continue;
            }
            // Per-block tensor: blocks.{i}.{suffix}
            int dot = name.indexOf('.', "blocks.".length());
            String block = prefix + HF_BLOCK + name.substring("blocks.".length(), dot + 1);
            String suffix = name.substring(dot + 1);
            if (suffix.equals(TimmKeys.QKV_WEIGHT) || suffix.equals(TimmKeys.QKV_BIAS)) {
                String kind = suffix.substring(suffix.lastIndexOf('.') + 1);
                HostTensor[] parts = splitRows(t, 3);
                for (int p = 0; p < 3; p++) {
                    out.put(block + HF_QKV + QKV_PARTS[p] + "." + kind, parts[p]);
                }
                continue;
            }
            String hf = null;
            for (Map.Entry<String, String> part : HF_BLOCK_PARTS.entrySet()) {
                if (part.getValue().equals(suffix)) {
                    hf = part.getKey();
                }
            }
            if (hf == null) {
                throw new AssertionError("no Hugging Face name for " + name);
            }
            out.put(block + hf, t);
        }
        return out;
    }

    private void put(String timm, String from, HostTensor tensor) throws CheckpointException {
        if (out.containsKey(timm)) {
            throw new CheckpointException(
                    String.format("%s: '%s' and '%s' both map to %s", source, origin.get(timm), from, timm));
        }
        out.put(timm, tensor);
        origin.put(timm, from);
    }

    private static int parseIndex(String text) {
        if (text.isEmpty() || text.length() > 6 || !text.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Integer.parseInt(text);
    }

    private static HostTensor concatRows(HostTensor[] parts, String[] names, String source) throws CheckpointException {
        long[] shape = parts[0].shape();
        for (int p = 1; p < parts.length; p++) {
            if (!Arrays.equals(shape, parts[p].shape()) || shape.length == 0) {
                throw new CheckpointException(String.format(
                        "%s: cannot fuse q/k/v: '%s' has shape %s but '%s' has shape %s",
                        source, names[0], parts[0].shapeText(), names[p], parts[p].shapeText()));
            }
        }
        int n = parts[0].size();
        float[] data = new float[n * parts.length];
        for (int p = 0; p < parts.length; p++) {
            System.arraycopy(parts[p].data(), 0, data, p * n, n);
        }
        long[] fused = shape.clone();
        fused[0] *= parts.length;
        return new HostTensor(fused, data);
    }

    private static HostTensor[] splitRows(HostTensor t, int parts) {
        long[] shape = t.shape().clone();
        shape[0] /= parts;
        int n = t.size() / parts;
        HostTensor[] out = new HostTensor[parts];
        for (int p = 0; p < parts; p++) {
            out[p] = new HostTensor(shape.clone(), Arrays.copyOfRange(t.data(), p * n, (p + 1) * n));
        }
        return out;
    }
}
