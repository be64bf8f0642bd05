package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.testutils.RandomWeights;

/**
 * The channel-shuffle tiny ViT ({@code src/docs/student.md}) on {@code vit_shuffle_test_tiny}
 * (96 channels, 48 attended, 65 tokens, 12 blocks) with random weights: its block against a
 * hand-built reference, its weights and {@code model.json} round trips, and every compression
 * family on it.
 */
class ChannelShuffleModelTest {

    private static final VitConfig CFG = VitConfig.preset("vit_shuffle_test_tiny");
    private static final long[] SHAPE = {2, 3, 32, 32};

    private static VitModel model;

    @BeforeAll
    static void load() {
        model = VitModel.fromWeights(CFG, RandomWeights.of(CFG, 11), Device.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static float[] images() {
        return RandomWeights.gaussian(5, 2 * 3 * 32 * 32);
    }

    @Test
    void theShuffleIsShuffleNetsPermutationWithTwoGroups() {
        // ShuffleNet's test vector for channels 0..5 and g = 2: [0, .3, .1, .4, .2, .5].
        assertThat(ChannelShuffle.permutation(6)).containsExactly(0, 3, 1, 4, 2, 5);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray x = m.arange(0f, 12f).reshape(1, 2, 6);
            assertThat(ChannelShuffle.shuffle(x).toFloatArray()).containsExactly(0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11);
        }
    }

    @Test
    void theArchitectureDerivesItsWidthsFromTheAttendedFraction() {
        assertThat(CFG.embedDim()).isEqualTo(96);
        assertThat(CFG.attendedDim()).isEqualTo(48);
        assertThat(CFG.headDim()).isEqualTo(16);
        assertThat(CFG.mlpHiddenDim()).isEqualTo(192);
        assertThat(CFG.isChannelShuffled()).isTrue();
        assertThat(CFG.geometry().attendedWidth()).isEqualTo(48);
        assertThat(CFG.geometry().width()).isEqualTo(96);
        // The documented key names: timm's, blocks attended-wide, the rest embedDim-wide.
        Map<String, long[]> shapes = TimmKeys.expectedShapes(CFG);
        assertThat(shapes.get("patch_embed.proj.weight")).containsExactly(96, 3, 4, 4);
        assertThat(shapes.get("pos_embed")).containsExactly(1, 65, 96);
        assertThat(shapes.get("blocks.0.norm1.weight")).containsExactly(48);
        assertThat(shapes.get("blocks.0.attn.qkv.weight")).containsExactly(144, 48);
        assertThat(shapes.get("blocks.11.mlp.fc1.weight")).containsExactly(192, 48);
        assertThat(shapes.get("blocks.11.mlp.fc2.weight")).containsExactly(48, 192);
        assertThat(shapes.get("norm.weight")).containsExactly(96);
        assertThat(shapes.get("head.weight")).containsExactly(10, 96);
    }

    @Test
    void badAttendedFractionsAreRefusedNamingTheSetting() {
        assertThatThrownBy(() -> shuffled("x", 96, 3, 0.3))
                .hasMessageContaining("attendedFraction 0.3")
                .hasMessageContaining("whole number");
        assertThatThrownBy(() -> shuffled("x", 96, 3, 0.0)).hasMessageContaining("attendedFraction must be in (0, 1]");
        assertThatThrownBy(() -> shuffled("x", 96, 5, 0.5))
                .hasMessageContaining("numHeads 5 must divide the attended width 48");
        assertThat(shuffled("x", 90, 3, 1.0 / 3).attendedDim()).isEqualTo(30);
        assertThatThrownBy(() -> shuffled("x", 45, 3, 1.0 / 3)).hasMessageContaining("needs an even embedDim");
    }

    @Test
    void attendedFractionOneIsThePlainViT() {
        VitConfig plain = VitConfig.preset("vit_test_tiny");
        VitConfig spelled = new VitConfig("vit_test_tiny", 32, 4, 3, 10, 48, 12, 3, 4.0, true, false, 1e-6, 1.0);
        assertThat(spelled).isEqualTo(plain);
        assertThat(plain.isChannelShuffled()).isFalse();
        assertThat(plain.attendedDim()).isEqualTo(plain.embedDim());
        assertThat(plain.geometry()).isEqualTo(new org.tocomstream.compress.TokenGeometry(65, 1, 48, 12, 192, 48, 10));
        // The block's channel helpers hand a plain ViT's arrays back untouched (the same objects):
        // the plain forward pass runs exactly the ops it ran before the shuffle existed.
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            RandomWeights.of(plain, 1).forEach((k, t) -> w.put(k, m.create(t.data(), new Shape(t.shape()))));
            VitBlock block = new VitForward(plain, w).block(0);
            NDArray x = m.ones(new Shape(1, 65, 48));
            assertThat(block.attendedPart(x)).isSameAs(x);
            assertThat(block.shuffle(x)).isSameAs(x);
            assertThat(block.rejoin(x, m.zeros(new Shape(1, 65, 48)))).isSameAs(x);
        }
    }

    /**
     * One shuffle block against its definition: the plain block of width 48 (same weights) on the
     * attended channels, the idle channels appended, then ShuffleNet's permutation.
     */
    @Test
    void aShuffleBlockIsThePlainBlockOnTheAttendedChannelsThenTheShuffle() {
        VitConfig narrow = new VitConfig("narrow", 32, 4, 3, 10, 48, 12, 3, 4.0, true, false, 1e-6);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Map<String, NDArray> wide = new LinkedHashMap<>();
            RandomWeights.of(CFG, 3).forEach((k, t) -> wide.put(k, m.create(t.data(), new Shape(t.shape()))));
            Map<String, NDArray> plainW = new LinkedHashMap<>(wide);
            RandomWeights.of(narrow, 3).forEach((k, t) -> {
                if (!k.startsWith("blocks.")) {
                    plainW.put(k, m.create(t.data(), new Shape(t.shape())));
                }
            });
            float[] in = RandomWeights.gaussian(9, 2 * 65 * 96);
            NDArray x = m.create(in, new Shape(2, 65, 96));
            ForwardContext ctx = ForwardContext.at(CompressionLevel.none());
            float[] got = new VitForward(CFG, wide)
                    .block(4)
                    .forward(VitBlock.Tokens.unmerged(x), 0, ctx)
                    .x()
                    .toFloatArray();
            NDArray attended = m.create(in, new Shape(2, 65, 96)).get(":, :, 0:48");
            float[] a = new VitForward(narrow, plainW)
                    .block(4)
                    .forward(VitBlock.Tokens.unmerged(attended), 0, ctx)
                    .x()
                    .toFloatArray();
            int[] perm = ChannelShuffle.permutation(96);
            for (int t = 0; t < 2 * 65; t++) {
                for (int c = 0; c < 96; c++) {
                    int from = perm[c];
                    float want = from < 48 ? a[t * 48 + from] : in[t * 96 + from];
                    // Same ops on the same values; 1e-5 allows another GEMM blocking of the narrow matrices.
                    assertThat(got[t * 96 + c]).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5f));
                }
            }
        }
    }

    @Test
    void weightsAndModelJsonRoundTripThroughAModelDirectory(@TempDir Path dir) throws IOException {
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < CFG.numClasses(); i++) {
            labels.add("c" + i);
        }
        ModelSpec spec = ModelSpec.of(CFG, labels);
        spec.write(dir);
        Safetensors.write(spec.weightsPath(dir), RandomWeights.of(CFG, 11), Map.of());
        String json = Files.readString(dir.resolve(ModelSpec.FILE_NAME));
        assertThat(json).contains("\"preset\": \"vit_shuffle_test_tiny\"").doesNotContain("attendedFraction");
        assertThat(ModelSpec.read(dir)).isEqualTo(spec);
        try (VitModel loaded = VitModel.load(dir, Device.cpu())) {
            assertThat(loaded.config()).isEqualTo(CFG);
            for (String text : List.of("none", "tome:4")) {
                CompressionLevel level = CompressionLevel.parse(text);
                // The same weights through the same code: bit for bit.
                assertThat(loaded.logits(images(), SHAPE, level)).isDeepEqualTo(model.logits(images(), SHAPE, level));
            }
        }
        // A weights file of the plain width does not load as the shuffle model.
        Safetensors.write(spec.weightsPath(dir), RandomWeights.of(VitConfig.preset("vit_test_tiny"), 1), Map.of());
        assertThatThrownBy(() -> VitModel.load(dir, Device.cpu()))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("cls_token has shape [1, 1, 48] but vit_shuffle_test_tiny expects [1, 1, 96]");
    }

    @Test
    void aCustomAttendedFractionIsWrittenAndReadBackAndOldFilesReadAsPlain(@TempDir Path dir) throws IOException {
        VitConfig custom = shuffled("my_shuffle", 96, 3, 0.25);
        ModelSpec spec = ModelSpec.of(custom, List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
        spec.write(dir);
        assertThat(Files.readString(dir.resolve(ModelSpec.FILE_NAME))).contains("\"attendedFraction\": 0.25");
        assertThat(ModelSpec.read(dir).architecture()).isEqualTo(custom);
        assertThat(ModelSpec.read(dir).architecture().attendedDim()).isEqualTo(24);

        // A preset override, and a file spelling out the twelve fields of the plain layout.
        Files.writeString(
                dir.resolve(ModelSpec.FILE_NAME),
                "{\"formatVersion\": 1, \"architecture\": {\"preset\": \"vit_test_tiny\", \"embedDim\": 96,"
                        + " \"attendedFraction\": 0.5}, \"labels\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\","
                        + "\"h\",\"i\",\"j\"]}");
        assertThat(ModelSpec.read(dir).architecture().attendedDim()).isEqualTo(48);
        Files.writeString(
                dir.resolve(ModelSpec.FILE_NAME),
                "{\"formatVersion\": 1, \"architecture\": {\"name\": \"old\", \"imageSize\": 32, \"patchSize\": 4,"
                        + " \"inChannels\": 3, \"numClasses\": 2, \"embedDim\": 48, \"depth\": 12, \"numHeads\": 3,"
                        + " \"mlpRatio\": 4.0, \"qkvBias\": true, \"distilled\": false, \"layerNormEps\": 1e-6},"
                        + " \"labels\": [\"a\", \"b\"]}");
        VitConfig old = ModelSpec.read(dir).architecture();
        assertThat(old.attendedFraction()).isEqualTo(1.0);
        assertThat(old.isChannelShuffled()).isFalse();
        Files.writeString(
                dir.resolve(ModelSpec.FILE_NAME),
                "{\"formatVersion\": 1, \"architecture\": {\"preset\": \"vit_shuffle_test_tiny\","
                        + " \"attendedFraction\": 0.3}, \"labels\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\","
                        + "\"h\",\"i\",\"j\"]}");
        assertThatThrownBy(() -> ModelSpec.read(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("attendedFraction 0.3");
    }

    /** Every compression family: finite logits of the right shape, in place equal to out of place. */
    @Test
    void everyCompressionFamilyRunsOnTheShuffleModel() {
        List<String> levels = List.of(
                "none",
                "tome:4",
                "tome-decreasing:6",
                "evit:0.7",
                "evit:0.5@2,5",
                "diffrate:65,60,56,50,45,40,35,30,28,26,24,22/65,58,54,48,43,38,33,29,27,25,23,20",
                "gtp:4",
                "gtp:4,graph=spatial,scale=off",
                "idle:0.7",
                "idle:0.5@1,2");
        float[] px = images();
        for (String text : levels) {
            CompressionLevel level = CompressionLevel.parse(text);
            float[][] inPlace = model.logits(px, SHAPE, level);
            assertThat(inPlace).as(text).hasNumberOfRows(2);
            for (float[] row : inPlace) {
                assertThat(row).as(text).hasSize(10);
                for (float v : row) {
                    assertThat(Float.isFinite(v)).as(text).isTrue();
                }
            }
            try (NDManager m = model.newBatchManager()) {
                float[][] outOfPlace =
                        VitModel.toRows(model.forward(m.create(px, new Shape(SHAPE)), ForwardContext.at(level)));
                for (int b = 0; b < 2; b++) {
                    // The same ops; in place only reuses buffers: 1e-5 for GEMM blocking.
                    assertClose(outOfPlace[b], inPlace[b], 1e-5f, text);
                }
            }
        }
        assertThat(model.logits(px, SHAPE, CompressionLevel.parse("tome:4")))
                .as("a level changes the logits")
                .isNotEqualTo(model.logits(px, SHAPE, CompressionLevel.none()));
    }

    @Test
    void tokenReuseRunsOnTheShuffleModelInBothAttentionModes() {
        float[] px = images();
        float[][] plain = model.logits(px, SHAPE, CompressionLevel.none());
        for (String text : List.of("reuse:0.25", "reuse:0.25,attn=accumulate", "reuse:1.0")) {
            CompressionLevel level = CompressionLevel.parse(text);
            ReuseState[] states = {model.newReuseState(), model.newReuseState()};
            try {
                ReuseResult first = model.logitsReusing(px, SHAPE, level, states, 2.0);
                for (int b = 0; b < 2; b++) {
                    // A first frame is the full pass: the plain model op for op (1e-5: GEMM blocking).
                    assertClose(first.logits()[b], plain[b], 1e-5f, text + " first frame");
                }
                float[] next = px.clone();
                for (int i = 0; i < next.length; i += 7) {
                    next[i] += 0.5f;
                }
                ReuseResult second = model.logitsReusing(next, SHAPE, level, states, 2.0);
                assertThat(second.reused()).as(text).containsExactly(true, true);
                for (float[] row : second.logits()) {
                    assertThat(row).hasSize(10);
                    for (float v : row) {
                        assertThat(Float.isFinite(v)).as(text).isTrue();
                    }
                }
                if (text.equals("reuse:1.0")) {
                    // Every token recomputed from this frame: the plain model (1e-4: gathered rows).
                    float[][] want = model.logits(next, SHAPE, CompressionLevel.none());
                    for (int b = 0; b < 2; b++) {
                        assertClose(second.logits()[b], want[b], 1e-4f, text);
                    }
                }
            } finally {
                for (ReuseState s : states) {
                    s.close();
                }
            }
        }
        assertThat(ReuseState.bytes(CFG)).isEqualTo(6L * 65 * 48 * 12 * Float.BYTES);
    }

    @Test
    void idleViTsTrainingFormEqualsItsInferenceFormOnTheShuffleModel() {
        CompressionLevel level = CompressionLevel.parse("idle:0.5@1,2");
        float[] px = images();
        float[][] inference = model.logits(px, SHAPE, level);
        try (NDManager m = model.newBatchManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            RandomWeights.of(CFG, 11).forEach((k, t) -> w.put(k, m.create(t.data(), new Shape(t.shape()))));
            NDArray images = m.create(px, new Shape(SHAPE));
            float[][] masked = VitModel.toRows(
                    IdleTraining.forward(new VitForward(CFG, w), images, level).logits());
            for (int b = 0; b < 2; b++) {
                // The masked keys' softmax weight underflows to 0; only summation order differs.
                assertClose(masked[b], inference[b], 1e-4f, "idle masked form");
            }
        }
    }

    private static VitConfig shuffled(String name, int dim, int heads, double fraction) {
        return new VitConfig(name, 32, 4, 3, 10, dim, 12, heads, 4.0, true, false, 1e-6, fraction);
    }

    private static void assertClose(float[] got, float[] want, float tol, String what) {
        assertThat(got).as(what).hasSameSizeAs(want);
        for (int i = 0; i < got.length; i++) {
            assertThat(got[i]).as(what + " [" + i + "]").isCloseTo(want[i], org.assertj.core.data.Offset.offset(tol));
        }
    }
}
