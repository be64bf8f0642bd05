package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.model.ReuseForwardTest.assertClose;
import static org.tocomstream.model.ReuseForwardTest.frame;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ReuseSlots.Acc;
import org.tocomstream.testutils.RandomWeights;

/**
 * Token reuse's invariants in the accumulate mode ({@link ReuseAccumulate}) on the tiny model with
 * random weights and the synthetic video of {@link ReuseForwardTest}.
 */
class ReuseAccumulateTest {

    private static final VitConfig CFG = VitConfig.preset("vit_test_tiny");
    private static final int PIXELS = 3 * 32 * 32;
    private static final double NO_CUT = 2.0;
    private static final CompressionLevel QUARTER = CompressionLevel.parse("reuse:0.25,attn=accumulate");

    private static VitModel model;

    @BeforeAll
    static void load() {
        model = VitModel.fromWeights(CFG, RandomWeights.of(CFG, 3), Device.cpu());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static float[] plain(float[] pixels) {
        return model.logits(pixels, new long[] {1, 3, 32, 32}, CompressionLevel.none())[0];
    }

    private static ReuseResult reuse(float[] pixels, CompressionLevel level, ReuseState... states) {
        return model.logitsReusing(pixels, new long[] {states.length, 3, 32, 32}, level, states, NO_CUT);
    }

    @Test
    void theFirstFrameOfAnEmptyStateIsThePlainForwardPass() {
        try (ReuseState state = model.newReuseState()) {
            ReuseResult r = reuse(frame(1, 0), QUARTER, state);
            // The plain block's ops on the same values; 1e-5 leaves room for a different GEMM blocking.
            assertClose(r.logits()[0], plain(frame(1, 0)), 1e-5f);
            assertThat(r.reused()).containsExactly(false);
            ReuseResult next = reuse(frame(1, 1), QUARTER, state);
            assertThat(next.reused()).containsExactly(true);
            assertThat(next.recomputed()).containsExactly(QUARTER.reuseRecomputed(CFG.numPatches()));
        }
    }

    @Test
    void recomputingEveryTokenEqualsThePlainModelOnEveryFrameOfALongSequence() {
        CompressionLevel all = CompressionLevel.parse("reuse:1.0,attn=accumulate");
        try (ReuseState state = model.newReuseState()) {
            for (int t = 0; t < 100; t++) {
                ReuseResult r = reuse(frame(2, t), all, state);
                // Every column of A is replaced each frame, so the running sum equals A·v up to the
                // rounding of adding and removing the old columns' products (a random walk of
                // ~1e-7 steps): 1e-4 on logits of magnitude ~1.
                assertClose(r.logits()[0], plain(frame(2, t)), 1e-4f);
                assertThat(r.reused()[0]).isEqualTo(t > 0);
            }
        }
    }

    @Test
    void theLogitsAndTheRunningSumEqualTheirDenseRecomputationFromTheBuffersAfterManyFrames() {
        try (ReuseState state = model.newReuseState();
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int t = 0; t < 60; t++) {
                reuse(frame(3, t), QUARTER, state);
            }
            long n = CFG.numTokens();
            long d = CFG.embedDim();
            long heads = CFG.numHeads();
            long hd = CFG.headDim();
            for (int l = 0; l < CFG.depth(); l++) {
                NDArray kv = attached(state.kv(l), m);
                NDArray q =
                        attached(state.acc(Acc.Q, l), m).reshape(n, heads, hd).transpose(1, 0, 2);
                NDArray k =
                        kv.get(":, " + d + ":" + 2 * d).reshape(n, heads, hd).transpose(1, 0, 2);
                NDArray v = kv.get(":, " + 2 * d + ":").reshape(n, heads, hd).transpose(1, 0, 2);
                NDArray logits = q.div(Math.sqrt(hd)).matMul(k.transpose(0, 2, 1));
                NDArray storedLogits = attached(state.acc(Acc.LOGITS_T, l), m).transpose(0, 2, 1);
                // Every entry was last written as one dot product of the buffered q and k, which have
                // not changed since: only the order of those products' sums differs.
                assertRelativelyClose(storedLogits, logits, 1e-5);
                NDArray pa = attached(state.acc(Acc.WEIGHTS_T, l), m).transpose(0, 2, 1);
                NDArray av = attached(state.acc(Acc.AV, l), m);
                // The running sum adds and removes 60 frames of column products: its rounding grows
                // like √frames·1e-7 of its scale, well inside 1e-5.
                assertRelativelyClose(av, pa.matMul(v), 1e-5);
            }
        }
    }

    @Test
    void streamsBatchedTogetherEqualEachStreamRunAloneAndAResetTouchesOnlyItsStream() {
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
                ReuseResult r = reuse(batch, QUARTER, together);
                for (int s = 0; s < 3; s++) {
                    ReuseResult one = reuse(frame(10 + s, t), QUARTER, alone[s]);
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
    void aStateFilledInTheRowsModeIsComputedInFullByItsFirstAccumulateFrame() {
        try (ReuseState state = model.newReuseState()) {
            reuse(frame(5, 0), CompressionLevel.reuse(0.25), state);
            ReuseResult r = reuse(frame(5, 1), QUARTER, state);
            assertThat(r.reused()).containsExactly(false);
            assertClose(r.logits()[0], plain(frame(5, 1)), 1e-5f);
            assertThat(reuse(frame(5, 2), QUARTER, state).reused()).containsExactly(true);
            // The rows mode reads only buffers the accumulate mode keeps current.
            assertThat(reuse(frame(5, 3), CompressionLevel.reuse(0.25), state).reused())
                    .containsExactly(true);
        }
    }

    @Test
    void aDistilledModelAlwaysRecomputesBothPrefixTokens() {
        VitConfig cfg = VitConfig.preset("deit_test_tiny_distilled");
        CompressionLevel all = CompressionLevel.parse("reuse:1.0,attn=accumulate");
        try (VitModel distilled = VitModel.fromWeights(cfg, RandomWeights.of(cfg, 4), Device.cpu());
                ReuseState state = distilled.newReuseState()) {
            for (int t = 0; t < 5; t++) {
                long[] shape = {1, 3, 32, 32};
                ReuseResult r = distilled.logitsReusing(frame(40, t), shape, all, new ReuseState[] {state}, NO_CUT);
                float[] expected = distilled.logits(frame(40, t), shape, CompressionLevel.none())[0];
                assertClose(r.logits()[0], expected, 1e-4f);
            }
        }
    }

    @Test
    void stateMemoryAddsThreeTokenRowsAndTwoAttentionMapsPerBlock() {
        VitConfig deitS = VitConfig.preset("deit_small_patch16_224");
        long perBlock = 9L * 197 * 384 + 2L * 6 * 197 * 197;
        assertThat(ReuseState.bytes(deitS, QUARTER)).isEqualTo(perBlock * 12 * 4);
        assertThat(ReuseState.bytes(deitS, CompressionLevel.reuse(0.25))).isEqualTo(ReuseState.bytes(deitS));
        try (ReuseState state = model.newReuseState()) {
            reuse(frame(1, 0), QUARTER, state);
            long floats = 0;
            for (int l = 0; l < CFG.depth(); l++) {
                floats += size(state.kv(l)) + size(state.attn(l)) + size(state.mlp(l));
                for (Acc kind : Acc.values()) {
                    floats += size(state.acc(kind, l));
                }
            }
            assertThat(floats * Float.BYTES).isEqualTo(ReuseState.bytes(CFG, QUARTER));
        }
    }

    private static long size(NDArray a) {
        try (a) {
            return a.size();
        }
    }

    private static NDArray attached(NDArray a, NDManager m) {
        a.attach(m);
        return a;
    }

    /** |actual − expected| ≤ tol·max|expected| elementwise. */
    private static void assertRelativelyClose(NDArray actual, NDArray expected, double tol) {
        float scale = expected.abs().max().getFloat();
        float worst = actual.sub(expected).abs().max().getFloat();
        assertThat(worst).as("largest difference against scale %s", scale).isLessThanOrEqualTo((float) (tol * scale));
    }
}
