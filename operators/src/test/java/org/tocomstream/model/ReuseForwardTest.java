package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.testutils.RandomWeights;

/**
 * Token reuse's invariants ({@code src/docs/reuse.md}, Invariants) on the tiny model with random
 * weights and synthetic video: a fixed random background with a square moving one pixel per frame.
 */
class ReuseForwardTest {

    private static final VitConfig CFG = VitConfig.preset("vit_test_tiny");
    private static final int PIXELS = 3 * 32 * 32;
    private static final double NO_CUT = 2.0;

    private static VitModel model;

    @BeforeAll
    static void load() {
        model = VitModel.fromWeights(CFG, RandomWeights.of(CFG, 3), Device.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Frame t of stream {@code seed}: its own background, an 8x8 square at (t, t/2) mod 24. */
    static float[] frame(long seed, int t) {
        float[] px = RandomWeights.gaussian(seed, PIXELS);
        int x0 = t % 24;
        int y0 = (t / 2) % 24;
        for (int c = 0; c < 3; c++) {
            for (int y = y0; y < y0 + 8; y++) {
                for (int x = x0; x < x0 + 8; x++) {
                    px[c * 1024 + y * 32 + x] = 2.5f - c;
                }
            }
        }
        return px;
    }

    private static float[][] plain(float[] pixels, int batch) {
        return model.logits(pixels, new long[] {batch, 3, 32, 32}, CompressionLevel.none());
    }

    private static ReuseResult reuse(float[] pixels, CompressionLevel level, ReuseState... states) {
        return model.logitsReusing(pixels, new long[] {states.length, 3, 32, 32}, level, states, NO_CUT);
    }

    @Test
    void theFirstFrameOfAnEmptyStateIsThePlainForwardPass() {
        try (ReuseState state = model.newReuseState()) {
            ReuseResult r = reuse(frame(1, 0), CompressionLevel.reuse(0.25), state);
            // Same ops on the same values; 1e-5 leaves room for a different GEMM blocking.
            assertClose(r.logits()[0], plain(frame(1, 0), 1)[0], 1e-5f);
            assertThat(r.reused()).containsExactly(false);
            assertThat(r.recomputed()).containsExactly(CFG.numPatches());
            assertThat(state.isFilled()).isTrue();
        }
    }

    @Test
    void recomputingEveryTokenEqualsThePlainModelOnEveryFrameOfALongSequence() {
        try (ReuseState state = model.newReuseState()) {
            CompressionLevel all = CompressionLevel.reuse(1.0);
            for (int t = 0; t < 100; t++) {
                ReuseResult r = reuse(frame(2, t), all, state);
                // Every row is recomputed from this frame's values; rows are gathered and written
                // back, so only GEMM summation order can differ: 1e-4 on logits of magnitude ~1.
                assertClose(r.logits()[0], plain(frame(2, t), 1)[0], 1e-4f);
                assertThat(r.reused()[0]).isEqualTo(t > 0);
            }
        }
    }

    @Test
    void theCacheStaysConsistentWithItsReferencesAfterManyFrames() {
        try (ReuseState state = model.newReuseState();
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int t = 0; t < 60; t++) {
                reuse(frame(3, t), CompressionLevel.reuse(0.25), state);
            }
            VitForward dense = new VitForward(CFG, IdleTesting.arrays(m, false));
            long d = CFG.embedDim();
            int n = CFG.numTokens();
            for (int l = 0; l < CFG.depth(); l++) {
                NDArray kv = state.kv(l);
                kv.attach(m);
                NDArray ref1 = kv.get(":, 0:" + d).reshape(1, n, d);
                NDArray qkv = dense.block(l).qkv(ref1);
                // Keys and values are the projection of the reference the gate compares against.
                assertClose(
                        kv.get(":, " + d + ":").toFloatArray(),
                        qkv.get(":, :, " + d + ":").toFloatArray(),
                        1e-5f);
                NDArray mlp = state.mlp(l).duplicate();
                mlp.attach(m);
                NDArray ref2 = mlp.get(":, 0:" + d).reshape(1, n, d);
                // The MLP output is the MLP of its reference.
                assertClose(
                        mlp.get(":, " + d + ":").toFloatArray(),
                        dense.block(l).mlpOnNormed(ref2).toFloatArray(),
                        1e-5f);
            }
        }
    }

    @Test
    void streamsBatchedTogetherEqualEachStreamRunAloneAndAResetTouchesOnlyItsStream() {
        CompressionLevel level = CompressionLevel.reuse(0.25);
        ReuseState[] together = {model.newReuseState(), model.newReuseState(), model.newReuseState()};
        ReuseState[] alone = {model.newReuseState(), model.newReuseState(), model.newReuseState()};
        try {
            for (int t = 0; t < 30; t++) {
                if (t == 17) {
                    together[1].reset();
                    alone[1].reset();
                }
                float[] batch = new float[3 * PIXELS];
                for (int s = 0; s < 3; s++) {
                    System.arraycopy(frame(10 + s, t), 0, batch, s * PIXELS, PIXELS);
                }
                ReuseResult r = reuse(batch, level, together);
                for (int s = 0; s < 3; s++) {
                    ReuseResult one = reuse(frame(10 + s, t), level, alone[s]);
                    // The same rows through batched GEMMs: 1e-4 for summation order over 30 frames.
                    assertClose(r.logits()[s], one.logits()[0], 1e-4f);
                    assertThat(r.reused()[s]).isEqualTo(one.reused()[0]).isEqualTo(!(t == 0 || (t == 17 && s == 1)));
                }
            }
        } finally {
            Arrays.stream(together).forEach(ReuseState::close);
            Arrays.stream(alone).forEach(ReuseState::close);
        }
    }

    @Test
    void aMixedBatchComputesNewStreamsInFullAndReusesTheOthers() {
        try (ReuseState a = model.newReuseState();
                ReuseState b = model.newReuseState()) {
            CompressionLevel level = CompressionLevel.reuseCount(16);
            reuse(frame(20, 0), level, a);
            float[] batch = new float[2 * PIXELS];
            System.arraycopy(frame(20, 1), 0, batch, 0, PIXELS);
            System.arraycopy(frame(21, 0), 0, batch, PIXELS, PIXELS);
            ReuseResult r = reuse(batch, level, a, b);
            assertThat(r.reused()).containsExactly(true, false);
            assertThat(r.recomputed()).containsExactly(16, CFG.numPatches());
            assertClose(r.logits()[1], plain(frame(21, 0), 1)[0], 1e-5f);
        }
    }

    @Test
    void aSceneCutIsComputedInFull() {
        try (ReuseState state = model.newReuseState()) {
            CompressionLevel level = CompressionLevel.reuse(0.25);
            float[] px = frame(30, 0);
            model.logitsReusing(px, new long[] {1, 3, 32, 32}, level, new ReuseState[] {state}, 0.5);
            ReuseResult calm =
                    model.logitsReusing(frame(30, 1), new long[] {1, 3, 32, 32}, level, new ReuseState[] {state}, 0.5);
            assertThat(calm.reused()).containsExactly(true);
            float[] cut = frame(31, 1); // another camera's background: every patch moved
            ReuseResult r = model.logitsReusing(cut, new long[] {1, 3, 32, 32}, level, new ReuseState[] {state}, 0.5);
            assertThat(r.reused()).containsExactly(false);
            assertClose(r.logits()[0], plain(cut, 1)[0], 1e-5f);
            assertThat(state.framesSinceFull()).isZero();
        }
    }

    @Test
    void aDistilledModelAlwaysRecomputesBothPrefixTokens() {
        VitConfig cfg = VitConfig.preset("deit_test_tiny_distilled");
        try (VitModel distilled = VitModel.fromWeights(cfg, RandomWeights.of(cfg, 4), Device.cpu());
                ReuseState state = distilled.newReuseState()) {
            for (int t = 0; t < 5; t++) {
                ReuseResult r = distilled.logitsReusing(
                        frame(40, t),
                        new long[] {1, 3, 32, 32},
                        CompressionLevel.reuse(1.0),
                        new ReuseState[] {state},
                        NO_CUT);
                assertClose(
                        r.logits()[0],
                        distilled.logits(frame(40, t), new long[] {1, 3, 32, 32}, CompressionLevel.none())[0],
                        1e-4f);
            }
        }
    }

    @Test
    void stateMemoryIsSixTokenRowsPerBlockAndRejectsMisuse() {
        assertThat(ReuseState.bytes(VitConfig.preset("deit_small_patch16_224"))).isEqualTo(6L * 197 * 384 * 12 * 4);
        try (ReuseState state = model.newReuseState()) {
            assertThatThrownBy(() -> model.logitsReusing(
                            frame(1, 0),
                            new long[] {1, 3, 32, 32},
                            CompressionLevel.tome(2),
                            new ReuseState[] {state},
                            NO_CUT))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("reuse level");
            reuse(frame(1, 0), CompressionLevel.reuse(0.5), state);
            long bytes = 0;
            for (int l = 0; l < CFG.depth(); l++) {
                try (NDArray kv = state.kv(l);
                        NDArray attn = state.attn(l);
                        NDArray mlp = state.mlp(l)) {
                    bytes += (kv.size() + attn.size() + mlp.size()) * Float.BYTES;
                }
            }
            assertThat(bytes).isEqualTo(ReuseState.bytes(CFG));
        }
    }

    static void assertClose(float[] actual, float[] expected, float tol) {
        VitForwardInvariantsTest.assertClose(actual, expected, tol);
    }
}
