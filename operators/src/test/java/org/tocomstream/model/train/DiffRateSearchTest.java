package org.tocomstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.compress.CostModel;
import org.tocomstream.compress.DiffRateSchedule;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.DiffRateSoftForward;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitForward;
import org.tocomstream.model.VitInit;

class DiffRateSearchTest {

    /** 32 px input, 4 px patches: 65 tokens, 4 blocks. */
    private static final VitConfig TINY = new VitConfig("diffrate_test", 32, 4, 3, 8, 32, 4, 2, 2.0, true, false, 1e-6);

    private static final SceneGenerator SCENES = SceneGenerator.of(SceneConfig.defaults(), 3);

    @Test
    void ceilPassesTheGradientStraightThrough() {
        Gradients.recordOnlyInCollectors();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray e = m.create(new float[] {2.3f, 4f, 0.01f});
            e.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray c = DiffRateRates.ceilStraightThrough(e);
                assertThat(c.toFloatArray()).containsExactly(3f, 4f, 1f);
                gc.backward(c.mul(m.create(new float[] {1f, 2f, 3f})).sum());
            }
            assertThat(e.getGradient().toFloatArray()).containsExactly(1f, 2f, 3f);
        }
    }

    @Test
    void oneHotRatesSimulateTheInferenceExactly() {
        int[] prune = {65, 50, 40, 60}; // block 3 prunes above the tokens left: the running min holds
        int[] merge = {65, 45, 44, 20};
        Map<String, HostTensor> w = VitInit.truncatedNormal(TINY, 5);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Map<String, NDArray> weights = arrays(w, m);
            DiffRateRates rates = oneHot(m, prune, merge);
            NDArray images = images(m, 3, 11);
            DiffRateRates.Draw draw = rates.draw(m);
            assertThat(draw.prune).containsExactly(prune);
            assertThat(draw.merge).containsExactly(merge);
            NDArray soft =
                    new DiffRateSoftForward(TINY, weights).forward(images, draw.masks(0), draw.masks(1), draw.merge);
            DiffRateSchedule schedule = DiffRateSchedule.of(prune, merge);
            NDArray hard = new VitForward(TINY, weights).forward(images, CompressionLevel.diffRate(schedule));
            // Same tokens and operations; only the order of float sums differs (the simulation sums
            // over all 65 rows with zero weights where inference has fewer rows).
            assertThat(maxAbs(soft.sub(hard))).isLessThan(1e-4f);
            assertThat(maxAbs(hard)).isGreaterThan(1e-2f);
            // The differentiable cost equals the cost model at the hard counts.
            double expected = CostModel.of(TINY.geometry()).gmacs(CompressionLevel.diffRate(schedule));
            assertThat((double) draw.gmacs().getFloat()).isCloseTo(expected, within(expected * 1e-6));
            assertThat(rates.schedule(m).tokensAfterEachBlock(TINY.geometry())).containsExactly(65, 45, 40, 20);
        }
    }

    @Test
    void aMergeIntoADissimilarDestinationKeepsEverySizePositive() {
        // One destination per block: most of the 63 patch tokens merge into it, many with a
        // negative cosine, so the similarity-weighted size falls below 0 without the floor (this
        // model and schedule gave NaN logits, through log size, in both forwards).
        int[] prune = {65, 65, 65, 65};
        int[] merge = {65, 2, 2, 2};
        Map<String, HostTensor> w = VitInit.truncatedNormal(TINY, 0);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Map<String, NDArray> weights = arrays(w, m);
            DiffRateRates.Draw draw = oneHot(m, prune, merge).draw(m);
            NDArray images = images(m, 3, 11);
            NDArray soft =
                    new DiffRateSoftForward(TINY, weights).forward(images, draw.masks(0), draw.masks(1), draw.merge);
            NDArray hard = new VitForward(TINY, weights)
                    .forward(images, CompressionLevel.diffRate(DiffRateSchedule.of(prune, merge)));
            assertThat(hard.isNaN().any().getBoolean()).isFalse();
            assertThat(soft.isNaN().any().getBoolean()).isFalse();
            assertThat(maxAbs(soft.sub(hard))).isLessThan(1e-4f); // as in the one-hot test above
        }
    }

    @Test
    void theFlopsPenaltyPushesTowardsFewerTokensAboveTheTarget() {
        Gradients.recordOnlyInCollectors();
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            DiffRateRates rates = new DiffRateRates(TINY.geometry(), m);
            try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray g = rates.draw(m).gmacs();
                NDArray gap = g.sub(1e-6); // far below anything reachable: cost too high everywhere
                gc.backward(gap.mul(gap));
            }
            for (int l = 1; l < TINY.depth(); l++) {
                float[] grad = rates.logits()
                        .get(DiffRateRates.name("prune", l))
                        .getGradient()
                        .toFloatArray();
                // Descent lowers the logit of keeping all tokens and raises that of keeping the fewest.
                assertThat(grad[0]).as("block %d, N0", l).isPositive();
                assertThat(grad[grad.length - 1]).as("block %d, prefix+1", l).isNegative();
            }
        }
    }

    @Test
    void theSearchReachesTheTargetAndWritesALoadableSchedule(@TempDir Path dir) throws IOException {
        Map<String, HostTensor> w = VitInit.truncatedNormal(TINY, 2);
        ModelSpec spec = ModelSpec.of(TINY, SCENES.labels()).withPreprocessing(ModelSpec.PreprocessConfig.deitEval(32));
        TrainingData data = cached(new GeneratedData(
                SCENES.split(SceneGenerator.Split.TRAIN), 64, new ImagePreprocessor(spec.preprocessing())));
        CostModel cost = CostModel.of(TINY.geometry());
        double target = 0.6 * cost.gmacs(CompressionLevel.none());
        DiffRateSearch.Config config =
                new DiffRateSearch.Config(target, 4, 8, 0.01, 0.001, 0, 0, 8, DiffRateSearch.Start.HALF);
        Path out = dir.resolve("schedule.json");
        List<DiffRateSearch.Progress> reports = new ArrayList<>();
        DiffRateSearch.Result r = new DiffRateSearch(TINY, w, config, Device.cpu()).search(data, out, reports::add);
        assertThat(r.steps()).isEqualTo(32);
        // The projection ends at or below the target; the counts are integers, and one token in
        // one block moves the cost by about 1 %, so 2 % is two such steps.
        assertThat(r.gmacs()).isLessThanOrEqualTo(target).isCloseTo(target, within(0.02 * target));
        assertThat(r.roundedGmacs()).isGreaterThanOrEqualTo(r.gmacs());
        CompressionLevel level = CompressionLevel.parse("diffrate:file=" + out);
        assertThat(cost.gmacs(level)).isCloseTo(target, within(0.02 * target));
        assertThat(level.diffRateSchedule()).isEqualTo(r.schedule());
        assertThat(reports).isNotEmpty();
        assertThat(reports.get(reports.size() - 1).line()).contains("gmacs").contains("step 32/32");
        // Resuming a finished search does no step and finds the same schedule.
        DiffRateSearch.Result again = new DiffRateSearch(TINY, w, config, Device.cpu()).search(data, out, p -> {});
        assertThat(again.schedule()).isEqualTo(r.schedule());
    }

    @Test
    void theTargetStartBeginsNearAScheduleThatAlreadyCostsTheTarget() {
        CostModel cost = CostModel.of(TINY.geometry());
        double target = 0.6 * cost.gmacs(CompressionLevel.none());
        int[][] start = DiffRateStart.geometric(TINY.geometry(), target);
        DiffRateSchedule schedule = DiffRateSchedule.of(start[0], start[1]);
        // Nothing pruned; merging non-increasing from all tokens.
        assertThat(start[0]).containsOnly(TINY.numTokens());
        for (int l = 1; l < TINY.depth(); l++) {
            assertThat(start[1][l]).isLessThanOrEqualTo(start[1][l - 1]);
        }
        // At or below the target, and within one token per block of it: the merge counts of the
        // geometric schedule move by whole tokens, so adding one to every block costs more.
        double gmacs = cost.gmacs(CompressionLevel.diffRate(schedule));
        assertThat(gmacs).isLessThanOrEqualTo(target);
        int[] more = start[1].clone();
        for (int l = 1; l < more.length; l++) {
            more[l] = Math.min(TINY.numTokens(), more[l] + 1);
        }
        assertThat(cost.gmacs(CompressionLevel.diffRate(DiffRateSchedule.of(start[0], more))))
                .isGreaterThan(target);
        // The rates start peaked there: their rounded expected counts are those counts give or take
        // the peak's width (64 patches / 16 = 4 tokens).
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            DiffRateRates rates = new DiffRateRates(TINY.geometry(), m, start);
            int[][] begun = rates.schedule(m).counts();
            for (int l = 1; l < TINY.depth(); l++) {
                assertThat(begun[1][l]).as("merge, block %d", l).isCloseTo(start[1][l], within(4));
            }
        }
    }

    @Test
    void theProjectionLowersTheCountsClosestToWhatWasLearnedUntilTheTargetHolds() {
        // Rounded up from E: block 1 prune 50 (E 49.9), merge 45 (E 44.1), block 2 prune 40
        // (E 39.2), merge 44 (E 44.0), block 3 prune 60 (E 60; clamped to 40), merge 20 (E 19.05).
        DiffRateSchedule rounded =
                DiffRateProjection.clamped(new int[][] {{65, 50, 40, 60}, {65, 45, 44, 20}}, TINY.geometry());
        float[][] expected = {{0, 49.9f, 39.2f, 60f}, {0, 44.1f, 44f, 19.05f}};
        CostModel cost = CostModel.of(TINY.geometry());
        double before = cost.gmacs(CompressionLevel.diffRate(rounded));
        assertThat(DiffRateProjection.fit(rounded, expected, TINY.geometry(), before))
                .isEqualTo(rounded);
        // One token below: block 3's merge (E − 19 = 0.05) is lowered first; block 3's prune stays
        // clamped to the 40 tokens entering it.
        DiffRateSchedule one = DiffRateProjection.fit(rounded, expected, TINY.geometry(), before - 1e-9);
        assertThat(one.counts()[1]).containsExactly(65, 45, 44, 19);
        assertThat(one.counts()[0]).containsExactly(65, 50, 40, 40);
        // Far below: every move keeps the cost above the target until the last one.
        double target = 0.8 * before;
        DiffRateSchedule fitted = DiffRateProjection.fit(rounded, expected, TINY.geometry(), target);
        double reached = cost.gmacs(CompressionLevel.diffRate(fitted));
        assertThat(reached).isLessThanOrEqualTo(target);
        // It stops at the first schedule at or below the target; one token in one block moves
        // the cost by about 1 % here.
        assertThat(reached).isCloseTo(target, within(0.02 * target));
        assertThat(fitted.tokensAfterEachBlock(TINY.geometry())[0]).isEqualTo(65);
        assertThatThrownBy(() -> DiffRateProjection.fit(rounded, expected, TINY.geometry(), 1e-9))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no DiffRate schedule reaches");
    }

    /** The examples rendered once: the search reads each of them every epoch. */
    private static TrainingData cached(TrainingData source) {
        TrainingData.Example[] examples = new TrainingData.Example[source.size()];
        for (int i = 0; i < examples.length; i++) {
            examples[i] = source.get(i, null);
        }
        return new TrainingData() {
            @Override
            public int size() {
                return examples.length;
            }

            @Override
            public List<String> labels() {
                return source.labels();
            }

            @Override
            public Example get(int index, SplittableRandom augment) {
                return examples[index];
            }
        };
    }

    private static DiffRateRates oneHot(NDManager m, int[] prune, int[] merge) {
        DiffRateRates rates = new DiffRateRates(TINY.geometry(), m);
        for (int l = 1; l < TINY.depth(); l++) {
            set(rates.logits().get(DiffRateRates.name("prune", l)), TINY.numTokens() - prune[l]);
            set(rates.logits().get(DiffRateRates.name("merge", l)), TINY.numTokens() - merge[l]);
        }
        return rates;
    }

    private static void set(NDArray logits, int hot) {
        float[] v = new float[(int) logits.size()];
        v[hot] = 1e4f;
        logits.set(FloatBuffer.wrap(v));
    }

    private static Map<String, NDArray> arrays(Map<String, HostTensor> w, NDManager m) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        w.forEach((k, t) -> out.put(k, m.create(FloatBuffer.wrap(t.data()), new Shape(t.shape()))));
        return out;
    }

    private static NDArray images(NDManager m, int batch, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] px = new float[batch * 3 * 32 * 32];
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) rnd.nextGaussian();
        }
        return m.create(px, new Shape(batch, 3, 32, 32));
    }

    private static float maxAbs(NDArray a) {
        return a.abs().max().getFloat();
    }
}
