package org.tocomstream.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads ViT/DeiT weights from a safetensors file into timm's names ({@link TimmKeys}) and checks
 * them against a {@link VitConfig}. This class is the only place where foreign weight layouts are
 * translated (the role of timm's {@code checkpoint_filter_fn}).
 *
 * <p>Accepted layouts, detected from the names:
 *
 * <ul>
 *   <li>timm: names are used as they are.
 *   <li>Hugging Face {@code ViTForImageClassification} (prefix {@code vit.}, head {@code
 *       classifier}), {@code DeiTForImageClassification} (prefix {@code deit.}, head {@code
 *       classifier}) and {@code DeiTForImageClassificationWithTeacher} (prefix {@code deit.},
 *       heads {@code cls_classifier} and {@code distillation_classifier}). Separate {@code query},
 *       {@code key} and {@code value} projections are concatenated row-wise, in that order, into
 *       timm's fused {@code attn.qkv}.
 *   <li>Either of the above wrapped by {@code DataParallel} or a training harness: a {@code module.}
 *       or {@code model.} prefix on every name is stripped.
 * </ul>
 *
 * <p>Nothing is dropped silently. The only names ignored are Hugging Face tensors that an image
 * classifier never reads, and each one is logged at INFO: {@code {p}.pooler.dense.*} (the pooler
 * of {@code ViTModel(add_pooling_layer=True)}, unused by the classification heads) and {@code
 * {p}.embeddings.mask_token} (masked-image-modelling only). Any other unknown, missing or
 * mis-shaped tensor is a {@link CheckpointException} naming it:
 *
 * <pre>{@code
 * Map<String, HostTensor> w = VitCheckpoint.load(dir.resolve("model.safetensors"), cfg);
 * // model.safetensors: blocks.3.attn.qkv.weight has shape [144, 48]
 * //     but deit_small_patch16_224 expects [1152, 384]
 * }</pre>
 */
public final class VitCheckpoint {

    private static final Logger LOG = LoggerFactory.getLogger(VitCheckpoint.class);

    private static final String HF_VIT = "vit.";
    private static final String HF_DEIT = "deit.";
    private static final String HF_BLOCK = "encoder.layer.";
    private static final String HF_QKV = "attention.attention.";
    private static final String[] QKV_PARTS = {"query", "key", "value"};
    private static final String[] WRAPPERS = {"module.", "model."};

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

    private VitCheckpoint() {}

    /**
     * Reads a safetensors file, translates it to timm names and validates it against {@code cfg}.
     *
     * @return every tensor of the architecture, in {@link TimmKeys#expectedShapes} order
     * @throws CheckpointException if the file is malformed or does not fit {@code cfg}
     */
    public static Map<String, HostTensor> load(Path file, VitConfig cfg)
            throws java.io.IOException {
        Map<String, HostTensor> raw = Safetensors.read(file);
        Map<String, HostTensor> timm = translate(raw, cfg, file.toString());
        return validate(timm, cfg, file.toString());
    }

    /**
     * Translates an in-memory state dict of any accepted layout to timm names and validates it.
     *
     * @param source names the origin in error messages, e.g. a file name
     */
    public static Map<String, HostTensor> toTimm(
            Map<String, HostTensor> tensors, VitConfig cfg, String source)
            throws CheckpointException {
        return validate(translate(tensors, cfg, source), cfg, source);
    }

    /**
     * The Hugging Face state dict equivalent to a validated timm one: {@code
     * DeiTForImageClassificationWithTeacher} names when {@code cfg} is distilled, {@code
     * ViTForImageClassification} names otherwise (the layout Hugging Face uses for the plain DeiT
     * checkpoints). The inverse of the translation in {@link #load}; for tests and export.
     *
     * @throws CheckpointException if {@code timm} does not fit {@code cfg}
     */
    public static Map<String, HostTensor> toHuggingFace(Map<String, HostTensor> timm, VitConfig cfg)
            throws CheckpointException {
        Map<String, HostTensor> valid = validate(timm, cfg, "timm state dict");
        String prefix = cfg.distilled() ? HF_DEIT : HF_VIT;
        Map<String, String> inverse = new LinkedHashMap<>();
        HF_EMBEDDINGS.forEach((hf, t) -> inverse.put(t, prefix + hf));
        HF_HEADS.forEach(
                (hf, t) -> {
                    boolean teacherHead = !hf.startsWith("classifier.");
                    if (teacherHead == cfg.distilled()) {
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

    // ---------------------------------------------------------------------------------------------

    /** Renames to timm, without checking completeness or shapes. */
    static Map<String, HostTensor> translate(
            Map<String, HostTensor> tensors, VitConfig cfg, String source)
            throws CheckpointException {
        Map<String, HostTensor> in = stripWrapper(tensors);
        String prefix = huggingFacePrefix(in.keySet(), source);
        if (prefix == null) {
            return in;
        }
        if (cfg.layerNormEps() != 1e-12) {
            LOG.warn(
                    "{} has a Hugging Face layout, whose models use LayerNorm eps 1e-12, but"
                            + " architecture {} has layerNormEps {}",
                    source, cfg.name(), cfg.layerNormEps());
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        // blocks.{i}.attn.qkv.{weight|bias} -> the q, k, v source names and tensors
        Map<String, HostTensor[]> qkv = new TreeMap<>();
        Map<String, String[]> qkvNames = new TreeMap<>();
        List<String> ignored = new ArrayList<>();
        for (Map.Entry<String, HostTensor> e : in.entrySet()) {
            String key = e.getKey();
            String timm = null;
            if (HF_HEADS.containsKey(key)) {
                timm = HF_HEADS.get(key);
            } else if (key.startsWith(prefix)) {
                String rest = key.substring(prefix.length());
                if (HF_IGNORED.contains(rest)) {
                    ignored.add(key);
                    continue;
                }
                timm = HF_EMBEDDINGS.get(rest);
                if (timm == null && rest.startsWith(HF_BLOCK)) {
                    String afterBlock = rest.substring(HF_BLOCK.length());
                    int dot = afterBlock.indexOf('.');
                    int index = dot > 0 ? parseIndex(afterBlock.substring(0, dot)) : -1;
                    String part = afterBlock.substring(dot + 1);
                    if (index >= 0 && part.startsWith(HF_QKV)) {
                        String[] which = part.substring(HF_QKV.length()).split("\\.");
                        int p = which.length == 2 ? Arrays.asList(QKV_PARTS).indexOf(which[0]) : -1;
                        if (p >= 0 && (which[1].equals("weight") || which[1].equals("bias"))) {
                            String target =
                                    TimmKeys.block(index, "attn.qkv." + which[1]);
                            qkv.computeIfAbsent(target, k -> new HostTensor[3])[p] = e.getValue();
                            qkvNames.computeIfAbsent(target, k -> new String[3])[p] = key;
                            continue;
                        }
                    } else if (index >= 0 && HF_BLOCK_PARTS.containsKey(part)) {
                        timm = TimmKeys.block(index, HF_BLOCK_PARTS.get(part));
                    }
                }
            }
            if (timm == null) {
                throw new CheckpointException(
                        String.format(
                                "%s: unexpected tensor '%s' in a Hugging Face (%s*) checkpoint",
                                source, key, prefix));
            }
            put(out, origin, timm, key, e.getValue(), source);
        }
        for (Map.Entry<String, HostTensor[]> e : qkv.entrySet()) {
            String target = e.getKey();
            HostTensor[] parts = e.getValue();
            String[] names = qkvNames.get(target);
            for (int p = 0; p < 3; p++) {
                if (parts[p] == null) {
                    String present = names[(p + 1) % 3] != null ? names[(p + 1) % 3] : names[(p + 2) % 3];
                    String kind = target.substring(target.lastIndexOf('.') + 1);
                    String absent =
                            present.substring(0, present.lastIndexOf(HF_QKV) + HF_QKV.length())
                                    + QKV_PARTS[p] + "." + kind;
                    throw new CheckpointException(
                            String.format(
                                    "%s: missing tensor '%s' (query, key and value together make %s)",
                                    source, absent, target));
                }
            }
            put(out, origin, target, String.join(" + ", names), concatRows(parts, names, source), source);
        }
        if (!ignored.isEmpty()) {
            LOG.info("{}: ignoring tensors that image classification does not use: {}", source, ignored);
        }
        return out;
    }

    /**
     * Checks names and shapes against {@code cfg}: first unexpected names, then shapes, then missing
     * names, so one wrong tensor is reported as what it is.
     *
     * @return the tensors in {@link TimmKeys#expectedShapes} order
     */
    static Map<String, HostTensor> validate(
            Map<String, HostTensor> timm, VitConfig cfg, String source) throws CheckpointException {
        Map<String, long[]> expected = TimmKeys.expectedShapes(cfg);
        List<String> unexpected = new ArrayList<>();
        for (String key : timm.keySet()) {
            if (!expected.containsKey(key)) {
                unexpected.add(key);
            }
        }
        if (!unexpected.isEmpty()) {
            throw new CheckpointException(
                    String.format(
                            "%s: unexpected %s %s for architecture %s",
                            source, unexpected.size() == 1 ? "tensor" : "tensors",
                            abbreviate(unexpected), cfg.name()));
        }
        for (Map.Entry<String, HostTensor> e : timm.entrySet()) {
            long[] want = expected.get(e.getKey());
            if (!Arrays.equals(want, e.getValue().shape())) {
                throw new CheckpointException(
                        String.format(
                                "%s: %s has shape %s but %s expects %s",
                                source, e.getKey(), e.getValue().shapeText(), cfg.name(),
                                Arrays.toString(want)));
            }
        }
        List<String> missing = new ArrayList<>();
        Map<String, HostTensor> ordered = new LinkedHashMap<>();
        for (String key : expected.keySet()) {
            HostTensor t = timm.get(key);
            if (t == null) {
                missing.add(key);
            } else {
                ordered.put(key, t);
            }
        }
        if (!missing.isEmpty()) {
            throw new CheckpointException(
                    String.format(
                            "%s: missing %s %s for architecture %s",
                            source, missing.size() == 1 ? "tensor" : "tensors",
                            abbreviate(missing), cfg.name()));
        }
        return ordered;
    }

    private static Map<String, HostTensor> stripWrapper(Map<String, HostTensor> tensors) {
        Map<String, HostTensor> current = tensors;
        boolean stripped = true;
        while (stripped && !current.isEmpty()) {
            stripped = false;
            for (String wrapper : WRAPPERS) {
                if (current.keySet().stream().allMatch(k -> k.startsWith(wrapper))) {
                    Map<String, HostTensor> next = new LinkedHashMap<>();
                    current.forEach((k, v) -> next.put(k.substring(wrapper.length()), v));
                    current = next;
                    stripped = true;
                }
            }
        }
        return current;
    }

    /** {@code vit.}, {@code deit.}, or {@code null} for timm names. */
    private static String huggingFacePrefix(Iterable<String> keys, String source)
            throws CheckpointException {
        String found = null;
        for (String key : keys) {
            String prefix =
                    key.startsWith(HF_VIT) ? HF_VIT : key.startsWith(HF_DEIT) ? HF_DEIT : null;
            if (prefix == null) {
                continue;
            }
            if (found != null && !found.equals(prefix)) {
                throw new CheckpointException(
                        String.format(
                                "%s: mixes Hugging Face prefixes '%s' and '%s' (e.g. '%s')",
                                source, found, prefix, key));
            }
            found = prefix;
        }
        return found;
    }

    private static void put(
            Map<String, HostTensor> out,
            Map<String, String> origin,
            String timm,
            String from,
            HostTensor tensor,
            String source)
            throws CheckpointException {
        if (out.containsKey(timm)) {
            throw new CheckpointException(
                    String.format(
                            "%s: '%s' and '%s' both map to %s", source, origin.get(timm), from, timm));
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

    private static HostTensor concatRows(HostTensor[] parts, String[] names, String source)
            throws CheckpointException {
        long[] shape = parts[0].shape();
        for (int p = 1; p < parts.length; p++) {
            if (!Arrays.equals(shape, parts[p].shape()) || shape.length == 0) {
                throw new CheckpointException(
                        String.format(
                                "%s: cannot fuse q/k/v: '%s' has shape %s but '%s' has shape %s",
                                source, names[0], parts[0].shapeText(), names[p],
                                parts[p].shapeText()));
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

    private static String abbreviate(List<String> keys) {
        int shown = Math.min(keys.size(), 5);
        String list = String.join(", ", keys.subList(0, shown));
        return keys.size() > shown
                ? "[" + list + ", ... and " + (keys.size() - shown) + " more]"
                : "[" + list + "]";
    }
}
