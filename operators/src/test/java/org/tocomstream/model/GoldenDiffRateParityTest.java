package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenCounts;

/**
 * DiffRate parity with the independent PyTorch reference ({@code src/fixtures/golden_diffrate.py},
 * fp32): the committed weights, the DiffRate inputs and schedule of {@code <model>/diffrate/}.
 *
 * <p>Tolerance: the same 1e-4 on logits as {@link GoldenParityTest}, for the same reason (fp32 on
 * both sides, different summation order; here also a one-hot product in place of scatter-reduce
 * mean and sum). The inputs were chosen so that every importance cutoff lies at least 1e-5 from a
 * tie (class attention ~1/64, fp32 differences ~1e-8) and every merge partner 1e-4, so both sides
 * take the same decisions; top-1 must agree on every sample.
 */
class GoldenDiffRateParityTest {

    private static final Path GOLDEN = Paths.get("src", "test", "resources", "golden");
    private static final float TOL = 1e-4f;

    @ParameterizedTest
    @ValueSource(strings = {"vit_test_tiny", "deit_test_tiny_distilled"})
    void logitsAndTokenCountsMatchTheReference(String preset) throws IOException {
        Path dir = GOLDEN.resolve(preset);
        VitConfig cfg = VitConfig.preset(preset);
        JsonObject levels = JsonParser.parseString(Files.readString(dir.resolve("diffrate/trace.json")))
                .getAsJsonObject()
                .getAsJsonObject("levels");
        Map<String, HostTensor> w = VitCheckpoint.load(dir.resolve("weights_timm.safetensors"), cfg);
        HostTensor input = Npy.read(dir.resolve("diffrate/input.npy"));
        try (VitModel model = VitModel.fromWeights(cfg, w, Device.cpu())) {
            for (String key : levels.keySet()) {
                JsonObject entry = levels.getAsJsonObject(key);
                CompressionLevel level =
                        CompressionLevel.parse(entry.get("level").getAsString());
                ForwardTrace trace = new ForwardTrace(cfg.depth());
                float[][] ours = model.logits(
                        input.data(), input.shape(), ForwardContext.at(level).withTrace(trace));
                assertMatches(
                        ours,
                        Npy.read(dir.resolve("diffrate")
                                .resolve(entry.get("file").getAsString())));
                long[] expected = Arrays.stream(TokenCounts.afterEachBlock(cfg.geometry(), level))
                        .asLongStream()
                        .toArray();
                assertThat(trace.tokensAfterBlock).as("tokens after each block").containsExactly(expected);
                long[] reference = new long[cfg.depth()];
                for (int l = 0; l < reference.length; l++) {
                    reference[l] =
                            entry.getAsJsonArray("tokens_after_block").get(l).getAsLong();
                }
                assertThat(reference).containsExactly(expected);
            }
            float[][] none = model.logits(input.data(), input.shape(), CompressionLevel.none());
            assertMatches(none, Npy.read(dir.resolve("diffrate/logits_none.npy")));
            // A schedule that keeps every token in every block is the plain model bit for bit.
            String full = String.join(",", java.util.Collections.nCopies(cfg.depth(), "" + cfg.numTokens()));
            float[][] all =
                    model.logits(input.data(), input.shape(), CompressionLevel.parse("diffrate:" + full + "/" + full));
            assertThat(all).isDeepEqualTo(none);
        }
    }

    private static void assertMatches(float[][] ours, HostTensor expected) {
        int classes = (int) expected.shape()[1];
        assertThat(ours).hasNumberOfRows((int) expected.shape()[0]);
        float maxDiff = 0;
        for (int b = 0; b < ours.length; b++) {
            float[] ref = Arrays.copyOfRange(expected.data(), b * classes, (b + 1) * classes);
            for (int c = 0; c < classes; c++) {
                maxDiff = Math.max(maxDiff, Math.abs(ours[b][c] - ref[c]));
            }
            assertThat(argMax(ours[b])).as("top-1 of sample %d", b).isEqualTo(argMax(ref));
        }
        assertThat(maxDiff).as("max |Δlogit|").isLessThanOrEqualTo(TOL);
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
