package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.TokenCounts;

/**
 * GTP against the independent PyTorch reference ({@code src/fixtures/golden_gtp.py}, fp32) on the
 * committed weights and inputs of {@link GoldenParityTest}, with the same tolerance and reason:
 * max |Δlogit| ≤ 1e-4 (fp32 on both sides, only the summation order differs; the reference
 * records how far its selection cut-offs and semantic thresholds are from ties in {@code
 * trace_gtp.json}), 100 % top-1 agreement, and tokens per block equal to {@link TokenCounts}.
 */
class GtpParityTest {

    private static final Path GOLDEN = Paths.get("src", "test", "resources", "golden");
    private static final float TOL = 1e-4f;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(
            delimiter = ';',
            value = {
                "vit_test_tiny; gtp:4",
                "vit_test_tiny; gtp:4,theta=0.6",
                "vit_test_tiny; gtp:8,alpha=0.2,graph=spatial,scale=off",
                "vit_test_tiny; gtp:2,theta=0.8,graph=semantic,k=4",
                "deit_test_tiny_distilled; gtp:4",
                "deit_test_tiny_distilled; gtp:4,theta=0.7"
            })
    void logitsAndTokenCountsMatchTheReference(String preset, String text) throws IOException {
        CompressionLevel level = CompressionLevel.parse(text);
        assertThat(level.toString()).isEqualTo(text);
        Path dir = GOLDEN.resolve(preset);
        VitConfig cfg = VitConfig.preset(preset);
        Map<String, HostTensor> w = VitCheckpoint.load(dir.resolve("weights_timm.safetensors"), cfg);
        HostTensor input = Npy.read(dir.resolve("input.npy"));
        HostTensor expected = Npy.read(
                dir.resolve("logits_" + text.replace(':', '_').replace(',', '_').replace("=", "") + ".npy"));
        ForwardTrace trace = new ForwardTrace(cfg.depth());
        float[][] ours;
        try (VitModel model = VitModel.fromWeights(cfg, w, Device.cpu())) {
            ours = model.logits(
                    input.data(), input.shape(), ForwardContext.at(level).withTrace(trace));
        }
        int[] counts = TokenCounts.afterEachBlock(cfg.geometry(), level);
        assertThat(trace.tokensAfterBlock)
                .containsExactly(Arrays.stream(counts).asLongStream().toArray());
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
        System.out.printf("GTP parity %s %s: max |Δlogit| %.3g%n", preset, text, maxDiff);
    }

    @Test
    void outOfPlaceForwardMatchesAndGradientsFlowThroughThePropagation() throws IOException {
        // Training's path: no in-place sums, every intermediate kept; the propagated tokens carry
        // gradient into every parameter, and the logits equal the in-place inference ones.
        Path dir = GOLDEN.resolve("vit_test_tiny");
        VitConfig cfg = VitConfig.preset("vit_test_tiny");
        Map<String, HostTensor> w = VitCheckpoint.load(dir.resolve("weights_timm.safetensors"), cfg);
        HostTensor input = Npy.read(dir.resolve("input.npy"));
        CompressionLevel level = CompressionLevel.parse("gtp:4,theta=0.6");
        float[][] inPlace;
        try (VitModel model = VitModel.fromWeights(cfg, w, Device.cpu())) {
            inPlace = model.logits(input.data(), input.shape(), level);
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            w.forEach((k, t) -> {
                NDArray p = m.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()));
                p.setRequiresGradient(true);
                params.put(k, p);
            });
            VitForward forward = new VitForward(cfg, params);
            NDArray x = m.create(FloatBuffer.wrap(input.data()), new Shape(input.shape()));
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray logits = forward.forward(x, level);
                float[] flat = logits.toFloatArray();
                for (int b = 0; b < inPlace.length; b++) {
                    for (int c = 0; c < inPlace[b].length; c++) {
                        // Same ops in the same order; only the residual sums run out of place.
                        assertThat(flat[b * inPlace[b].length + c]).isEqualTo(inPlace[b][c]);
                    }
                }
                gc.backward(logits.square().sum());
            }
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                assertThat(e.getValue().getGradient().abs().sum().getFloat())
                        .as(e.getKey())
                        .isPositive();
            }
        }
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
