package org.tocomstream.job.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LoadTestPlotTest {

    @Test
    void axisLabelsCarryTheDecimalsThatTellTheTicksApart() {
        assertThat(LoadTestPlot.decimals(new double[] {10, 100, 1000})).isZero();
        assertThat(LoadTestPlot.decimals(new double[] {0.5, 0.75, 1})).isEqualTo(2);
        assertThat(LoadTestPlot.decimals(new double[] {0.95, 0.975, 1})).isEqualTo(3);
        assertThat(LoadTestPlot.decimals(new double[] {0, 0.5, 1})).isEqualTo(1);
        assertThat(LoadTestPlot.decimals(new double[] {1.0 / 3})).isEqualTo(4);
    }
}
