package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatusReporterTest {

    @Test
    void nearestRankPercentiles() {
        List<Long> ages = List.of(10L, 20L, 30L, 40L, 50L, 60L, 70L, 80L, 90L, 100L);
        assertThat(StatusReporter.percentile(ages, 0.50)).isEqualTo(50);
        assertThat(StatusReporter.percentile(ages, 0.99)).isEqualTo(100);
        assertThat(StatusReporter.percentile(List.of(7L), 0.99)).isEqualTo(7);
    }
}
