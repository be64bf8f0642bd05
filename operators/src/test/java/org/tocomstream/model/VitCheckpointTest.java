package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VitCheckpointTest {

    private static final VitConfig TINY = VitConfig.preset("vit_test_tiny");
    private static final VitConfig TINY_DISTILLED = VitConfig.preset("deit_test_tiny_distilled");

    @TempDir
    Path dir;

    /** A complete random timm state dict for {@code cfg}. */
    static Map<String, HostTensor> randomTimm(VitConfig cfg, long seed) {
        Random rng = new Random(seed);
        Map<String, HostTensor> out = new LinkedHashMap<>();
        TimmKeys.expectedShapes(cfg).forEach((k, shape) -> out.put(k, SafetensorsTest.random(rng, shape)));
        return out;
    }

    private Path save(Map<String, HostTensor> tensors) throws IOException {
        Path file = dir.resolve("model.safetensors");
        Safetensors.write(file, tensors, Map.of());
        return file;
    }

    @Nested
    class Layouts {

        @Test
        void timmNamesLoadAsTheyAreInExpectedOrder() throws IOException {
            Map<String, HostTensor> timm = randomTimm(TINY, 1);

            Map<String, HostTensor> loaded = VitCheckpoint.load(save(timm), TINY);

            assertThat(loaded).isEqualTo(timm);
            assertThat(loaded.keySet())
                    .containsExactlyElementsOf(TimmKeys.expectedShapes(TINY).keySet());
        }

        @Test
        void huggingFaceVitRoundTrips() throws IOException {
            Map<String, HostTensor> timm = randomTimm(TINY, 2);

            Map<String, HostTensor> hf = VitCheckpoint.toHuggingFace(timm, TINY);

            assertThat(hf)
                    .containsKeys(
                            "vit.embeddings.cls_token",
                            "vit.embeddings.position_embeddings",
                            "vit.embeddings.patch_embeddings.projection.weight",
                            "vit.encoder.layer.11.attention.attention.value.bias",
                            "vit.encoder.layer.0.intermediate.dense.weight",
                            "vit.layernorm.bias",
                            "classifier.weight")
                    .doesNotContainKeys("cls_classifier.weight", "vit.embeddings.distillation_token");
            // 4 non-block tensors + 2 head + 12 blocks x (10 + 6 q/k/v) + 2 final norm.
            assertThat(hf).hasSize(4 + 2 + 12 * 16 + 2);
            assertThat(VitCheckpoint.load(save(hf), TINY)).isEqualTo(timm);
        }

        @Test
        void huggingFaceDeitWithTeacherRoundTrips() throws IOException {
            Map<String, HostTensor> timm = randomTimm(TINY_DISTILLED, 3);

            Map<String, HostTensor> hf = VitCheckpoint.toHuggingFace(timm, TINY_DISTILLED);

            assertThat(hf)
                    .containsKeys(
                            "deit.embeddings.distillation_token",
                            "cls_classifier.bias",
                            "distillation_classifier.weight")
                    .doesNotContainKey("classifier.weight");
            assertThat(VitCheckpoint.load(save(hf), TINY_DISTILLED)).isEqualTo(timm);
        }

        @Test
        void huggingFaceDeitWithoutTeacherUsesClassifier() throws IOException {
            Map<String, HostTensor> hf = new LinkedHashMap<>();
            VitCheckpoint.toHuggingFace(randomTimm(TINY, 4), TINY)
                    .forEach((k, v) -> hf.put(k.replaceFirst("^vit\\.", "deit."), v));

            assertThat(VitCheckpoint.load(save(hf), TINY)).containsKey(TimmKeys.HEAD_WEIGHT);
        }

        @Test
        void queryKeyValueAreStackedInThatOrder() throws IOException {
            Map<String, HostTensor> hf = VitCheckpoint.toHuggingFace(randomTimm(TINY, 5), TINY);
            String attn = "vit.encoder.layer.2.attention.attention.";
            int d = TINY.embedDim();
            float[][] fill = {new float[d * d], new float[d * d], new float[d * d]};
            for (int p = 0; p < 3; p++) {
                Arrays.fill(fill[p], p + 1);
            }
            hf.put(attn + "query.weight", new HostTensor(new long[] {d, d}, fill[0]));
            hf.put(attn + "key.weight", new HostTensor(new long[] {d, d}, fill[1]));
            hf.put(attn + "value.weight", new HostTensor(new long[] {d, d}, fill[2]));

            float[] qkv = VitCheckpoint.load(save(hf), TINY)
                    .get("blocks.2.attn.qkv.weight")
                    .data();

            assertThat(qkv[0]).isEqualTo(1f);
            assertThat(qkv[d * d]).isEqualTo(2f);
            assertThat(qkv[3 * d * d - 1]).isEqualTo(3f);
        }

        @Test
        void wrapperPrefixesAreStripped() throws IOException {
            Map<String, HostTensor> timm = randomTimm(TINY, 6);
            Map<String, HostTensor> wrapped = new LinkedHashMap<>();
            timm.forEach((k, v) -> wrapped.put("module." + k, v));
            Map<String, HostTensor> hfWrapped = new LinkedHashMap<>();
            VitCheckpoint.toHuggingFace(timm, TINY).forEach((k, v) -> hfWrapped.put("model." + k, v));

            assertThat(VitCheckpoint.load(save(wrapped), TINY)).isEqualTo(timm);
            assertThat(VitCheckpoint.load(save(hfWrapped), TINY)).isEqualTo(timm);
        }

        @Test
        void poolerAndMaskTokenOfHuggingFaceAreIgnored() throws IOException {
            Map<String, HostTensor> timm = randomTimm(TINY, 7);
            Map<String, HostTensor> hf = VitCheckpoint.toHuggingFace(timm, TINY);
            Random rng = new Random(8);
            hf.put("vit.pooler.dense.weight", SafetensorsTest.random(rng, 48, 48));
            hf.put("vit.pooler.dense.bias", SafetensorsTest.random(rng, 48));
            hf.put("vit.embeddings.mask_token", SafetensorsTest.random(rng, 1, 1, 48));

            assertThat(VitCheckpoint.load(save(hf), TINY)).isEqualTo(timm);
        }

        @Test
        void toTimmWorksInMemory() throws CheckpointException {
            Map<String, HostTensor> timm = randomTimm(TINY_DISTILLED, 9);

            assertThat(VitCheckpoint.toTimm(
                            VitCheckpoint.toHuggingFace(timm, TINY_DISTILLED), TINY_DISTILLED, "memory"))
                    .isEqualTo(timm);
        }
    }

    @Nested
    class Errors {

        @Test
        void missingTensorIsNamed() throws IOException {
            Map<String, HostTensor> timm = randomTimm(TINY, 10);
            timm.remove("blocks.5.mlp.fc2.bias");
            Path file = save(timm);

            assertThatThrownBy(() -> VitCheckpoint.load(file, TINY))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessage("%s: missing tensor [blocks.5.mlp.fc2.bias] for architecture vit_test_tiny", file);
        }

        @Test
        void extraTensorIsNamed() throws IOException {
            Map<String, HostTensor> timm = randomTimm(TINY, 11);
            timm.put("fc_norm.weight", timm.get(TimmKeys.NORM_WEIGHT));
            Path file = save(timm);

            assertThatThrownBy(() -> VitCheckpoint.load(file, TINY))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("unexpected tensor [fc_norm.weight]");
        }

        @Test
        void distilledCheckpointForAPlainArchitectureNamesTheExtras() throws IOException {
            Path file = save(randomTimm(TINY_DISTILLED, 12));

            assertThatThrownBy(() -> VitCheckpoint.load(file, TINY))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("unexpected tensors [dist_token, head_dist.bias, head_dist.weight]");
        }

        @Test
        void misShapedTensorNamesBothShapes() throws IOException {
            Map<String, HostTensor> timm = randomTimm(TINY, 13);
            timm.put("blocks.3.attn.qkv.weight", SafetensorsTest.random(new Random(0), 144, 40));
            Path file = save(timm);

            assertThatThrownBy(() -> VitCheckpoint.load(file, TINY))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessage(
                            "%s: blocks.3.attn.qkv.weight has shape [144, 40] but vit_test_tiny" + " expects [144, 48]",
                            file);
        }

        @Test
        void misShapedTensorIsReportedBeforeMissingOnes() {
            // A tiny-model tensor checked against DeiT-S: the shape is what is wrong, not the rest.
            Map<String, HostTensor> one =
                    Map.of("blocks.3.attn.qkv.weight", SafetensorsTest.random(new Random(0), 144, 48));

            assertThatThrownBy(() ->
                            VitCheckpoint.toTimm(one, VitConfig.preset("deit_small_patch16_224"), "x.safetensors"))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessage("x.safetensors: blocks.3.attn.qkv.weight has shape [144, 48] but"
                            + " deit_small_patch16_224 expects [1152, 384]");
        }

        @Test
        void unknownHuggingFaceTensorIsNamed() throws IOException {
            Map<String, HostTensor> hf = VitCheckpoint.toHuggingFace(randomTimm(TINY, 14), TINY);
            hf.put("vit.encoder.layer.0.attention.attention.relative_bias", SafetensorsTest.random(new Random(0), 3));
            Path file = save(hf);

            assertThatThrownBy(() -> VitCheckpoint.load(file, TINY))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(file.toString())
                    .hasMessageContaining("unexpected tensor 'vit.encoder.layer.0.attention.attention.relative_bias'");
        }

        @Test
        void incompleteQueryKeyValueNamesTheMissingPart() throws IOException {
            Map<String, HostTensor> hf = VitCheckpoint.toHuggingFace(randomTimm(TINY, 15), TINY);
            hf.remove("vit.encoder.layer.7.attention.attention.value.weight");
            Path file = save(hf);

            assertThatThrownBy(() -> VitCheckpoint.load(file, TINY))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("missing tensor 'vit.encoder.layer.7.attention.attention.value.weight'")
                    .hasMessageContaining("blocks.7.attn.qkv.weight");
        }

        @Test
        void mismatchedQueryKeyValueShapesAreNamed() throws IOException {
            Map<String, HostTensor> hf = VitCheckpoint.toHuggingFace(randomTimm(TINY, 16), TINY);
            hf.put("vit.encoder.layer.1.attention.attention.key.bias", SafetensorsTest.random(new Random(0), 47));
            Path file = save(hf);

            assertThatThrownBy(() -> VitCheckpoint.load(file, TINY))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("cannot fuse q/k/v")
                    .hasMessageContaining("vit.encoder.layer.1.attention.attention.key.bias' has shape [47]");
        }

        @Test
        void twoNamesForOneTensorAreRejected() throws IOException {
            Map<String, HostTensor> hf = VitCheckpoint.toHuggingFace(randomTimm(TINY, 17), TINY);
            hf.put("cls_classifier.weight", hf.get("classifier.weight"));
            Path file = save(hf);

            assertThatThrownBy(() -> VitCheckpoint.load(file, TINY))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("'classifier.weight' and 'cls_classifier.weight' both map to head.weight");
        }

        @Test
        void mixedHuggingFacePrefixesAreRejected() throws IOException {
            Map<String, HostTensor> hf = VitCheckpoint.toHuggingFace(randomTimm(TINY, 18), TINY);
            hf.put("deit.layernorm.weight", hf.remove("vit.layernorm.weight"));
            Path file = save(hf);

            assertThatThrownBy(() -> VitCheckpoint.load(file, TINY))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("mixes Hugging Face prefixes");
        }

        @Test
        void toHuggingFaceValidatesItsInput() {
            Map<String, HostTensor> timm = randomTimm(TINY, 19);
            timm.remove(TimmKeys.POS_EMBED);

            assertThatThrownBy(() -> VitCheckpoint.toHuggingFace(timm, TINY))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("missing tensor [pos_embed]");
        }
    }
}
