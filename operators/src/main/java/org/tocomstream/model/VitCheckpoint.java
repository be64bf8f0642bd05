package org.tocomstream.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads ViT/DeiT weights from a safetensors file into timm's names ({@link TimmKeys}) and checks
 * them against a {@link VitConfig}. Foreign weight layouts are translated here and nowhere else
 * (the role of timm's {@code checkpoint_filter_fn}); the Hugging Face name tables and renaming sit
 * in the package-private {@code HuggingFaceLayout}, which only this class uses.
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

    private static final String[] WRAPPERS = {"module.", "model."};

    private VitCheckpoint() {}

    /**
     * Reads a safetensors file, translates it to timm names and validates it against {@code cfg}.
     *
     * @return every tensor of the architecture, in {@link TimmKeys#expectedShapes} order
     * @throws CheckpointException if the file is malformed or does not fit {@code cfg}
     */
    public static Map<String, HostTensor> load(Path file, VitConfig cfg) throws java.io.IOException {
        Map<String, HostTensor> raw = Safetensors.read(file);
        Map<String, HostTensor> timm = translate(raw, cfg, file.toString());
        return validate(timm, cfg, file.toString());
    }

    /**
     * Translates an in-memory state dict of any accepted layout to timm names and validates it.
     *
     * @param source names the origin in error messages, e.g. a file name
     */
    public static Map<String, HostTensor> toTimm(Map<String, HostTensor> tensors, VitConfig cfg, String source)
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
        return HuggingFaceLayout.fromTimm(valid, cfg.distilled());
    }

    // ---------------------------------------------------------------------------------------------

    /** Renames to timm, without checking completeness or shapes. */
    static Map<String, HostTensor> translate(Map<String, HostTensor> tensors, VitConfig cfg, String source)
            throws CheckpointException {
        Map<String, HostTensor> in = stripWrapper(tensors);
        String prefix = HuggingFaceLayout.prefixOf(in.keySet(), source);
        if (prefix == null) {
            return in;
        }
        if (cfg.layerNormEps() != 1e-12) {
            LOG.warn(
                    "{} has a Hugging Face layout, whose models use LayerNorm eps 1e-12, but"
                            + " architecture {} has layerNormEps {}",
                    source,
                    cfg.name(),
                    cfg.layerNormEps());
        }
        HuggingFaceLayout layout = new HuggingFaceLayout(prefix, source);
        for (Map.Entry<String, HostTensor> e : in.entrySet()) {
            layout.add(e.getKey(), e.getValue());
        }
        Map<String, HostTensor> out = layout.timmTensors();
        if (!layout.ignored().isEmpty()) {
            LOG.info("{}: ignoring tensors that image classification does not use: {}", source, layout.ignored());
        }
        return out;
    }

    /**
     * Checks names and shapes against {@code cfg}: first unexpected names, then shapes, then missing
     * names, so one wrong tensor is reported as what it is.
     *
     * @return the tensors in {@link TimmKeys#expectedShapes} order
     */
    static Map<String, HostTensor> validate(Map<String, HostTensor> timm, VitConfig cfg, String source)
            throws CheckpointException {
        Map<String, long[]> expected = TimmKeys.expectedShapes(cfg);
        List<String> unexpected = new ArrayList<>();
        for (String key : timm.keySet()) {
            if (!expected.containsKey(key)) {
                unexpected.add(key);
            }
        }
        if (!unexpected.isEmpty()) {
            throw new CheckpointException(String.format(
                    "%s: unexpected %s %s for architecture %s",
                    source, unexpected.size() == 1 ? "tensor" : "tensors", abbreviate(unexpected), cfg.name()));
        }
        for (Map.Entry<String, HostTensor> e : timm.entrySet()) {
            long[] want = expected.get(e.getKey());
            if (!Arrays.equals(want, e.getValue().shape())) {
                throw new CheckpointException(String.format(
                        "%s: %s has shape %s but %s expects %s",
                        source, e.getKey(), e.getValue().shapeText(), cfg.name(), Arrays.toString(want)));
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
            throw new CheckpointException(String.format(
                    "%s: missing %s %s for architecture %s",
                    source, missing.size() == 1 ? "tensor" : "tensors", abbreviate(missing), cfg.name()));
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

    private static String abbreviate(List<String> keys) {
        int shown = Math.min(keys.size(), 5);
        String list = String.join(", ", keys.subList(0, shown));
        return keys.size() > shown ? "[" + list + ", ... and " + (keys.size() - shown) + " more]" : "[" + list + "]";
    }
}
