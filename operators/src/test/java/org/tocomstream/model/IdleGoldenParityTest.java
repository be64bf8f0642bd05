package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenCounts;

/**
 * Parity of the IdleViT levels with the independent PyTorch reference ({@code
 * src/fixtures/golden_idle.py}, fp32) on the committed tiny weights and the reference's own inputs
 * ({@code input_idle.npy}, chosen so that every idle cutoff is at least 1e-4 from a tie).
 *
 * <p>Tolerance as {@link GoldenParityTest}: max |Δlogit| ≤ 1e-4 (fp32 on both sides, differing only
 * in summation order) and 100 % top-1 agreement. Beyond the logits, the tokens each block computed
 * on equal the reference's and {@link TokenCounts#computedEachBlock}, and sample 0 selects the same
 * tokens in every idle block.
 */
class IdleGoldenParityTest {

    private static final Path GOLDEN = Paths.get("src", "test", "resources", "golden");
    private static final float TOL = 1e-4f;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "vit_test_tiny | none | logits_idle_none.npy",
                "vit_test_tiny | idle:0.7 | logits_idle_0.7.npy",
                "vit_test_tiny | idle:0.5@4,5,6,7,8,9,10,11 | logits_idle_0.5_blocks4-11.npy",
                "vit_test_tiny | idle:0.8,0.3@1,6 | logits_idle_0.8_0.3_blocks1_6.npy",
                "deit_test_tiny_distilled | none | logits_idle_none.npy",
                "deit_test_tiny_distilled | idle:0.7 | logits_idle_0.7.npy"
            })
    void logitsCountsAndSelectionsMatchTheReference(String preset, String text, String file) throws IOException {
        Path dir = GOLDEN.resolve(preset);
        VitConfig cfg = VitConfig.preset(preset);
        CompressionLevel level = CompressionLevel.parse(text);
        Map<String, HostTensor> w = VitCheckpoint.load(dir.resolve("weights_timm.safetensors"), cfg);
        HostTensor input = Npy.read(dir.resolve("input_idle.npy"));
        ForwardTrace trace = new ForwardTrace(cfg.depth());
        float[][] ours;
        try (VitModel model = VitModel.fromWeights(cfg, w, Device.cpu())) {
            ours = model.logits(
                    input.data(), input.shape(), ForwardContext.at(level).withTrace(trace));
        }
        HostTensor expected = Npy.read(dir.resolve(file));
        int classes = (int) expected.shape()[1];
        float maxDiff = 0;
        for (int b = 0; b < ours.length; b++) {
            float[] ref = Arrays.copyOfRange(expected.data(), b * classes, (b + 1) * classes);
            for (int c = 0; c < classes; c++) {
                maxDiff = Math.max(maxDiff, Math.abs(ours[b][c] - ref[c]));
            }
            assertThat(argMax(ours[b])).as("top-1 of sample %d", b).isEqualTo(argMax(ref));
        }
        assertThat(maxDiff).as("max |Δlogit|").isLessThanOrEqualTo(TOL);
        if (level.isNone()) {
            return;
        }
        JsonObject ref = JsonParser.parseString(Files.readString(dir.resolve("trace_idle.json")))
                .getAsJsonObject()
                .getAsJsonObject("levels")
                .getAsJsonObject(text);
        int[] computed = TokenCounts.computedEachBlock(cfg.geometry(), level);
        assertThat(computed).containsExactly(ints(ref.getAsJsonArray("tokens_computed_per_block")));
        JsonObject selected = ref.getAsJsonObject("selected_positions_sample0");
        for (int l = 0; l < cfg.depth(); l++) {
            boolean idle = selected.has(Integer.toString(l));
            assertThat(trace.selectedInBlock[l]).as("block %d", l).isEqualTo(idle ? computed[l] : 0);
            if (idle) {
                int s = computed[l];
                long[] sample0 = Arrays.copyOf(trace.selectedPositions.get(l), s);
                Arrays.sort(sample0);
                assertThat(Arrays.stream(sample0).mapToInt(v -> (int) v).toArray())
                        .as("block %d selection of sample 0", l)
                        .containsExactly(ints(selected.getAsJsonArray(Integer.toString(l))));
            }
        }
    }

    private static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    private static int argMax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
