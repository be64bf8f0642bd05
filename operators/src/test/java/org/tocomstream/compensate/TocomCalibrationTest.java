package org.tocomstream.compensate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.CheckpointException;
import org.tocomstream.model.ForwardContext;
import org.tocomstream.model.VitModel;
import org.tocomstream.testutils.RandomWeights;

/**
 * CompensatorCalibration: the per-pair factor min(1, sqrt(KL_model / KL_base)), its file, the
 * check that lets a base's plugin run on a model fine-tuned from it, and the bound plugin applying
 * s × factor.
 */
class TocomCalibrationTest {

    private static final String MODEL_SHA = "cd".repeat(32);

    private static CompensatorEvaluation.Cell cell(int m, int n, double klPlain) {
        return new CompensatorEvaluation.Cell(
                new CompensatorPair(m, n), klPlain, klPlain, Double.NaN, Double.NaN, Double.NaN, 10);
    }

    private static CompensatorEvaluation.Cell cell(int m, int n, double klPlain, double klCompensated) {
        return new CompensatorEvaluation.Cell(
                new CompensatorPair(m, n), klPlain, klCompensated, Double.NaN, Double.NaN, Double.NaN, 10);
    }

    private static CompensatorCalibration calibration(Map<CompensatorPair, CompensatorCalibration.PairFactor> pairs) {
        return new CompensatorCalibration(TocomTesting.BASE_SHA, MODEL_SHA, 10, pairs);
    }

    @Test
    void theFactorIsTheSquareRootOfTheKlRatioCappedAtOne() {
        assertThat(CompensatorCalibration.factor(0.25, 1.0)).isEqualTo(0.5);
        assertThat(CompensatorCalibration.factor(0.01, 0.64)).isCloseTo(0.125, within(1e-15));
        assertThat(CompensatorCalibration.factor(2.0, 1.0))
                .as("a model further from itself than the base: 1")
                .isEqualTo(1);
        assertThat(CompensatorCalibration.factor(0, 1.0))
                .as("no gap left: no delta")
                .isZero();
        assertThat(CompensatorCalibration.factor(0.3, 0))
                .as("the base has no gap: factor 1")
                .isEqualTo(1);
    }

    @Test
    void ofPairsTheModelsAndTheBasesKlsAndSkipsIdentityPairs() {
        CompensatorCalibration cal = CompensatorCalibration.of(
                TocomTesting.BASE_SHA,
                MODEL_SHA,
                10,
                List.of(cell(2, 2, 0), cell(2, 0, 0.04), cell(2, 4, 0.5)),
                List.of(cell(2, 2, 0), cell(2, 0, 0.16), cell(2, 4, 0.25)));

        assertThat(cal.pairs()).containsOnlyKeys(new CompensatorPair(2, 0), new CompensatorPair(2, 4));
        assertThat(cal.factor(new CompensatorPair(2, 0))).isEqualTo(0.5);
        assertThat(cal.factor(new CompensatorPair(2, 4))).isEqualTo(1);
        assertThat(cal.factor(new CompensatorPair(2, 2))).isEqualTo(1);
        assertThat(cal.factor(new CompensatorPair(2, 3)))
                .as("a pair not measured keeps factor 1")
                .isEqualTo(1);
        assertThat(cal.scale(new CompensatorPair(2, 0), 0.1)).isCloseTo(0.05, within(1e-15));
        assertThat(cal.factorsText()).isEqualTo("2->0 0.50, 2->4 1.00");

        assertThatThrownBy(() -> CompensatorCalibration.of(
                        TocomTesting.BASE_SHA,
                        MODEL_SHA,
                        10,
                        List.of(cell(2, 0, 0.04), cell(2, 4, 0.5)),
                        List.of(cell(2, 0, 0.16))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no base measurement for pair 2->4");
    }

    @Test
    void theLineSearchKeepsPerPairTheScaleOfLeastKlAndNoneWhereNothingHelps() {
        Map<Double, List<CompensatorEvaluation.Cell>> byScale = new java.util.LinkedHashMap<>();
        // 4->0: best at 0.1; 4->8: best at 0.4 (the largest); 4->6: every scale makes it worse;
        // 4->2: 0.05 and 0.2 tie, the smaller wins.
        byScale.put(
                0.4,
                List.of(
                        cell(4, 4, 0, 0),
                        cell(4, 0, 0.5, 0.30),
                        cell(4, 8, 0.9, 0.2),
                        cell(4, 6, 0.01, 0.2),
                        cell(4, 2, 0.1, 0.09)));
        byScale.put(
                0.05,
                List.of(
                        cell(4, 4, 0, 0),
                        cell(4, 0, 0.5, 0.40),
                        cell(4, 8, 0.9, 0.8),
                        cell(4, 6, 0.01, 0.011),
                        cell(4, 2, 0.1, 0.05)));
        byScale.put(
                0.1,
                List.of(
                        cell(4, 4, 0, 0),
                        cell(4, 0, 0.5, 0.25),
                        cell(4, 8, 0.9, 0.6),
                        cell(4, 6, 0.01, 0.02),
                        cell(4, 2, 0.1, 0.07)));
        byScale.put(
                0.2,
                List.of(
                        cell(4, 4, 0, 0),
                        cell(4, 0, 0.5, 0.26),
                        cell(4, 8, 0.9, 0.4),
                        cell(4, 6, 0.01, 0.05),
                        cell(4, 2, 0.1, 0.05)));

        CompensatorCalibration cal = CompensatorCalibration.lineSearch(TocomTesting.BASE_SHA, MODEL_SHA, 10, byScale);

        assertThat(cal.rule()).isEqualTo(CompensatorCalibration.Rule.KL_LINE_SEARCH);
        assertThat(cal.scale()).as("the grid's largest scale").isEqualTo(0.4);
        assertThat(cal.referenceScale()).hasValue(0.4);
        assertThat(cal.pairs().keySet())
                .containsExactly(
                        new CompensatorPair(4, 0),
                        new CompensatorPair(4, 8),
                        new CompensatorPair(4, 6),
                        new CompensatorPair(4, 2));
        assertThat(cal.scale(new CompensatorPair(4, 0), cal.scale())).isCloseTo(0.1, within(1e-15));
        assertThat(cal.pairs().get(new CompensatorPair(4, 0)).klCompensated()).isEqualTo(0.25);
        assertThat(cal.factor(new CompensatorPair(4, 8))).isEqualTo(1);
        assertThat(cal.factor(new CompensatorPair(4, 6)))
                .as("no scale helps: no delta")
                .isZero();
        assertThat(cal.pairs().get(new CompensatorPair(4, 6)).klCompensated()).isEqualTo(0.01);
        assertThat(cal.scale(new CompensatorPair(4, 2), cal.scale())).isCloseTo(0.05, within(1e-15));
        assertThat(cal.describe()).contains("4->0 KL 0.50000 -> 0.25000 at scale 0.1000 (factor 0.2500)");

        assertThatThrownBy(() -> CompensatorCalibration.lineSearch(
                        TocomTesting.BASE_SHA, MODEL_SHA, 10, Map.of(0.0, List.of(cell(4, 0, 0.5, 0.5)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be > 0");
        assertThatThrownBy(() -> CompensatorCalibration.lineSearch(
                        TocomTesting.BASE_SHA,
                        MODEL_SHA,
                        10,
                        Map.of(0.1, List.of(cell(4, 0, 0.5, 0.4)), 0.2, List.of(cell(4, 8, 0.5, 0.4)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no measurement of pair");
    }

    @Test
    void aLineSearchCalibrationSetsTheDefaultScaleAndMayComeWithThePluginsOwnBase(@TempDir Path base) throws Exception {
        TocomTesting.modelDir(base, 1);
        String baseSha = TokenCompensator.weightsSha256(base);
        TokenCompensator plugin = TocomTesting.randomPlugin(6, baseSha);
        CompensatorCalibration cal = new CompensatorCalibration(
                CompensatorCalibration.Rule.KL_LINE_SEARCH,
                baseSha,
                baseSha,
                10,
                0.4,
                Map.of(new CompensatorPair(0, 3), new CompensatorCalibration.PairFactor(0.2, Double.NaN, 0.1, 0.25)));
        Path file = base.resolve(CompensatorCalibration.FILE_NAME);
        cal.save(file);
        String text = Files.readString(file, StandardCharsets.UTF_8);
        assertThat(text)
                .contains("\"rule\": \"kl-line-search\"", "\"scale\": 0.4", "\"klCompensated\": 0.1")
                .doesNotContain("klBase");
        assertThat(CompensatorCalibration.load(file)).isEqualTo(cal);
        assertThat(CompensatorCalibration.forModel(plugin, base))
                .as("the base with a file: the file")
                .contains(cal);

        write(file, text.replace("\"scale\": 0.4,", ""));
        assertThatThrownBy(() -> CompensatorCalibration.load(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("missing field 'scale'");
        write(file, text.replace("klCompensated", "klBase"));
        assertThatThrownBy(() -> CompensatorCalibration.load(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("unknown field 'pairs[].klBase'");
        write(file, text.replace("kl-line-search", "sqrt-kl-ratio").replace("klCompensated", "klBase"));
        assertThatThrownBy(() -> CompensatorCalibration.load(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("rule sqrt-kl-ratio has no 'scale'");
        write(file, text.replace("\"scale\": 0.4", "\"scale\": 0"));
        assertThatThrownBy(() -> CompensatorCalibration.load(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("needs a reference scale > 0");
        Files.delete(file);

        float[] px = TocomTesting.pixels(2, 8);
        CompressionLevel at3 = CompressionLevel.tome(3);
        try (VitModel model = VitModel.fromWeights(
                        TocomTesting.spec(), RandomWeights.of(TocomTesting.TINY, 5), Device.cpu());
                BoundCompensator plain = plugin.bind(model, CompensatorMode.SIDE_BRANCH);
                BoundCompensator calibrated = plugin.bind(model, CompensatorMode.SIDE_BRANCH, cal)) {
            assertThat(plain.defaultScale()).isEqualTo(plugin.config().defaultScale());
            assertThat(calibrated.defaultScale()).isEqualTo(0.4);
            // The level's adapter runs at the reference scale times the pair's factor: 0.1.
            ForwardContext atThree = ForwardContext.at(at3);
            assertThat(model.logits(px, TocomTesting.shape(2), atThree.withAdapter(calibrated.adapter(at3))))
                    .isDeepEqualTo(model.logits(
                            px,
                            TocomTesting.shape(2),
                            atThree.withAdapter(
                                    plain.adapter(new CompensatorPair(0, 3), CompensatorMode.SIDE_BRANCH, 0.1))));
        }
    }

    @Test
    void theBaseCalibratedAgainstItselfOnTheSameFramesGetsFactorOneForEveryPair() {
        TokenCompensator plugin = TocomTesting.randomPlugin(3);
        List<CompensatorPair> pairs =
                List.of(new CompensatorPair(0, 1), new CompensatorPair(0, 3), new CompensatorPair(0, 4));
        try (VitModel model = VitModel.fromWeights(
                        TocomTesting.spec(), RandomWeights.of(TocomTesting.TINY, 5), Device.cpu());
                BoundCompensator tocom = plugin.bind(model, CompensatorMode.SIDE_BRANCH)) {
            List<CompensatorEvaluation.Cell> kl = CompensatorEvaluation.run(
                    model, tocom, TocomTesting.images(6, 200, false), pairs, 0, 4, line -> {});
            CompensatorCalibration cal =
                    CompensatorCalibration.of(TocomTesting.BASE_SHA, TocomTesting.BASE_SHA, 6, kl, kl);
            assertThat(kl).allSatisfy(c -> assertThat(c.klPlain()).isPositive());
            assertThat(pairs).allSatisfy(p -> assertThat(cal.factor(p)).isEqualTo(1));
        }
    }

    @Test
    void aCalibratedBindingAppliesTheScaleTimesThePairsFactor() {
        TokenCompensator plugin = TocomTesting.randomPlugin(4);
        CompensatorCalibration cal = calibration(Map.of(
                new CompensatorPair(0, 3), new CompensatorCalibration.PairFactor(0.01, 0.04, 0.5),
                new CompensatorPair(0, 2), new CompensatorCalibration.PairFactor(0, 0.04, 0)));
        float[] px = TocomTesting.pixels(2, 7);
        CompressionLevel at3 = CompressionLevel.tome(3);
        try (VitModel model = VitModel.fromWeights(
                        TocomTesting.spec(), RandomWeights.of(TocomTesting.TINY, 5), Device.cpu());
                BoundCompensator plain = plugin.bind(model, CompensatorMode.SIDE_BRANCH);
                BoundCompensator calibrated = plugin.bind(model, CompensatorMode.SIDE_BRANCH, cal)) {
            CompensatorPair pair = new CompensatorPair(0, 3);
            assertThat(calibrated.calibration()).isSameAs(cal);
            assertThat(plain.calibration()).isNull();
            assertThat(calibrated.scale(pair, 0.5)).isEqualTo(0.25);
            assertThat(plain.scale(pair, 0.5)).isEqualTo(0.5);
            // The plugin's default s is 0.5: the level's adapter is the pair's at 0.25.
            ForwardContext atThree = ForwardContext.at(at3);
            assertThat(model.logits(px, TocomTesting.shape(2), atThree.withAdapter(calibrated.adapter(at3))))
                    .isDeepEqualTo(model.logits(
                            px,
                            TocomTesting.shape(2),
                            atThree.withAdapter(plain.adapter(pair, CompensatorMode.SIDE_BRANCH, 0.25))));
            assertThat(model.logits(px, TocomTesting.shape(2), atThree.withAdapter(calibrated.adapter(at3))))
                    .isNotEqualTo(model.logits(px, TocomTesting.shape(2), atThree.withAdapter(plain.adapter(at3))));
            assertThat(calibrated.adapter(CompressionLevel.tome(2)))
                    .as("factor 0: nothing to apply")
                    .isNull();
        }
    }

    @Test
    void theFileRoundTripsAndItsMistakesAreNamed(@TempDir Path dir) throws Exception {
        CompensatorCalibration cal = calibration(
                Map.of(new CompensatorPair(3, 0), new CompensatorCalibration.PairFactor(0.01, 0.09, 1 / 3.0)));
        Path file = dir.resolve(CompensatorCalibration.FILE_NAME);
        cal.save(file);
        assertThat(CompensatorCalibration.load(file)).isEqualTo(cal);
        assertThat(CompensatorCalibration.inModelDir(dir)).contains(file);

        String text = Files.readString(file, StandardCharsets.UTF_8);
        assertThat(text).contains("\"rule\": \"sqrt-kl-ratio\"").contains("\"pair\": \"3->0\"");
        write(file, text.replace("\"images\"", "\"imags\""));
        assertThatThrownBy(() -> CompensatorCalibration.load(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("unknown field 'imags'");
        write(file, text.replace("sqrt-kl-ratio", "linear"));
        assertThatThrownBy(() -> CompensatorCalibration.load(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("rule 'linear' is not supported");
        write(file, text.replace("\"factor\": 0.3333333333333333", "\"factor\": 1.5"));
        assertThatThrownBy(() -> CompensatorCalibration.load(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("pair 3->0")
                .hasMessageContaining("[0, 1]");
        write(file, text.replace("\"3->0\"", "\"3-0\""));
        assertThatThrownBy(() -> CompensatorCalibration.load(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("'3-0'");
        write(file, "[]");
        assertThatThrownBy(() -> CompensatorCalibration.load(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("expected a JSON object");
        assertThatThrownBy(() -> CompensatorCalibration.load(dir.resolve("nope.json")))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("no such calibration file");
    }

    @Test
    void aFineTunedModelNeedsACalibrationForThePluginsBaseAndItsOwnWeights(@TempDir Path base, @TempDir Path tuned)
            throws Exception {
        TocomTesting.modelDir(base, 1);
        TocomTesting.modelDir(tuned, 2); // other weights: stands for a model fine-tuned from the base
        String baseSha = TokenCompensator.weightsSha256(base);
        String tunedSha = TokenCompensator.weightsSha256(tuned);
        TokenCompensator plugin = TocomTesting.randomPlugin(5, baseSha);

        assertThat(CompensatorCalibration.forModel(plugin, base))
                .as("the base itself: no factors")
                .isEmpty();
        assertThatThrownBy(() -> CompensatorCalibration.forModel(plugin, tuned))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(baseSha)
                .hasMessageContaining(tunedSha)
                .hasMessageContaining("tocom calibrate --model " + tuned);

        Map<CompensatorPair, CompensatorCalibration.PairFactor> pairs =
                Map.of(new CompensatorPair(0, 4), new CompensatorCalibration.PairFactor(0.01, 0.04, 0.5));
        CompensatorCalibration good = new CompensatorCalibration(baseSha, tunedSha, 10, pairs);
        good.save(tuned.resolve(CompensatorCalibration.FILE_NAME));
        assertThat(CompensatorCalibration.forModel(plugin, tuned)).contains(good);

        new CompensatorCalibration(baseSha, "ef".repeat(32), 10, pairs)
                .save(tuned.resolve(CompensatorCalibration.FILE_NAME));
        assertThatThrownBy(() -> CompensatorCalibration.forModel(plugin, tuned))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("calibrated for model weights sha256 " + "ef".repeat(32))
                .hasMessageContaining(tunedSha);

        new CompensatorCalibration("ef".repeat(32), tunedSha, 10, pairs)
                .save(tuned.resolve(CompensatorCalibration.FILE_NAME));
        assertThatThrownBy(() -> CompensatorCalibration.forModel(plugin, tuned))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("calibrated for a plugin of base sha256 " + "ef".repeat(32));
    }

    private static void write(Path file, String text) throws Exception {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }
}
