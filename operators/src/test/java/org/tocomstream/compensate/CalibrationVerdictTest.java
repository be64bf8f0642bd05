package org.tocomstream.compensate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CalibrationVerdictTest {

    /** A line-search calibration over pairs 10->0..10->3 with these (plain, compensated, factor) triples. */
    private static CompensatorCalibration lineSearch(double[]... pairs) {
        Map<CompensatorPair, CompensatorCalibration.PairFactor> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i++) {
            m.put(
                    new CompensatorPair(10, i),
                    new CompensatorCalibration.PairFactor(pairs[i][0], Double.NaN, pairs[i][1], pairs[i][2]));
        }
        return new CompensatorCalibration(CompensatorCalibration.Rule.KL_LINE_SEARCH, "base", "model", 500, 0.4, m);
    }

    @Test
    void mostPairsOffMeansThePluginDoesNotHelpEvenWhenTheOthersGainALot() {
        CalibrationVerdict v = CalibrationVerdict.of(lineSearch(
                        new double[] {0.4, 0.4, 0},
                        new double[] {0.2, 0.2, 0},
                        new double[] {0.3, 0.3, 0},
                        new double[] {0.1, 0.01, 0.5}))
                .orElseThrow();

        assertThat(v.pairs()).isEqualTo(4);
        assertThat(v.off()).isEqualTo(3);
        assertThat(v.meanKlPlain()).isCloseTo(0.25, within(1e-12)); // (0.4 + 0.2 + 0.3 + 0.1) / 4
        assertThat(v.meanKlCompensated()).isCloseTo(0.2275, within(1e-12)); // (0.4 + 0.2 + 0.3 + 0.01) / 4
        assertThat(v.meanKlChange()).isCloseTo(-0.09, within(1e-12));
        assertThat(v.helps()).isFalse();
        assertThat(v.text())
                .isEqualTo(
                        "the line search turned the plugin off for 3 of 4 pairs; mean KL 0.25000 -> 0.22750 (-9.0 %)");
    }

    @Test
    void fewPairsOffButASmallMeanFallDoesNotHelpEither() {
        CalibrationVerdict v = CalibrationVerdict.of(lineSearch(
                        new double[] {0.4, 0.38, 0.25}, new double[] {0.2, 0.19, 0.25}, new double[] {0.3, 0.3, 0}))
                .orElseThrow();

        assertThat(v.off()).isEqualTo(1);
        assertThat(v.meanKlChange()).isCloseTo(-0.03 / 0.9, within(1e-12)); // 0.87 / 0.9 - 1 = -3.3 %
        assertThat(v.helps()).isFalse();
    }

    @Test
    void halfThePairsOffStillHelpsWhenTheMeanFallsByTenPercentOrMore() {
        CalibrationVerdict v = CalibrationVerdict.of(lineSearch(new double[] {0.5, 0.3, 1}, new double[] {0.5, 0.5, 0}))
                .orElseThrow();

        assertThat(v.off()).isEqualTo(1);
        assertThat(v.meanKlChange()).isCloseTo(-0.20, within(1e-12));
        assertThat(v.helps()).isTrue();
        assertThat(new CalibrationVerdict(4, 2, 1.0, 0.89).helps()).isTrue();
        assertThat(new CalibrationVerdict(4, 3, 1.0, 0.5).helps())
                .as("3 of 4 off")
                .isFalse();
        assertThat(new CalibrationVerdict(4, 0, 1.0, 0.91).helps())
                .as("9 % lower")
                .isFalse();
    }

    @Test
    void aSqrtKlRatioCalibrationMeasuresNoKlWithThePluginSoHasNoVerdict() {
        CompensatorCalibration ratio = new CompensatorCalibration(
                "base",
                "model",
                500,
                Map.of(new CompensatorPair(10, 0), new CompensatorCalibration.PairFactor(0.1, 0.4, 0.5)));

        assertThat(CalibrationVerdict.of(ratio)).isEmpty();
    }

    @Test
    void badCountsAndMeansAreRefused() {
        assertThatThrownBy(() -> new CalibrationVerdict(0, 0, 0, 0)).hasMessageContaining("1 or more pairs");
        assertThatThrownBy(() -> new CalibrationVerdict(2, 3, 0, 0)).hasMessageContaining("0..pairs off");
        assertThatThrownBy(() -> new CalibrationVerdict(2, 0, Double.NaN, 0)).hasMessageContaining("finite");
    }
}
