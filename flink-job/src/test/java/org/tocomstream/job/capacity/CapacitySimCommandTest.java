package org.tocomstream.job.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import com.google.gson.Gson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.control.MeasuredLadder;
import org.tocomstream.job.testutils.CommandLines.Result;

/**
 * {@code capacity-sim} on the default trace (calm 1.3 slots for 20 min, 2.6 for 30 min, 1.3 for 40
 * min) over a ladder file shaped like a measured one (rung 0 at 250 frames/s, rungs at 1.25x and
 * 1.5x): the properties the operations guide states, not its numbers.
 */
class CapacitySimCommandTest {

    @TempDir
    Path dir;

    private Path ladder() throws IOException {
        MeasuredLadder m = new MeasuredLadder(
                MeasuredLadder.SCHEMA_VERSION,
                "ladder --model m --generator",
                "2026-01-01T00:00:00Z",
                new MeasuredLadder.Machine("test", 2, "17"),
                new MeasuredLadder.Model("vit_demo", "00"),
                new MeasuredLadder.Data("test", 500, true),
                8,
                MeasuredLadder.TOP1,
                List.of(new MeasuredLadder.Candidate("none", "none", 1.0, 0.99, 0.0, 250.0, 1.0, false)),
                List.of(
                        new MeasuredLadder.Rung(1.0, "none", 1.0, 0.99),
                        new MeasuredLadder.Rung(1.25, "tome-decreasing:5", 1.25, 0.98),
                        new MeasuredLadder.Rung(1.5, "evit:0.5", 1.5, 0.95),
                        new MeasuredLadder.Rung(2.0, null, 1.6, null)));
        Path file = dir.resolve("ladder.json");
        m.write(file);
        return file;
    }

    private CapacityReport simulate() throws IOException {
        Result r = run("capacity-sim", "--ladder", ladder().toString(), "--out", dir.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("autoscale", "fixed-peak", "fixed-average", "Flink busy-time");
        assertThat(dir.resolve("capacity-sim.png")).isNotEmptyFile();
        return new Gson().fromJson(Files.readString(dir.resolve("capacity-sim.json")), CapacityReport.class);
    }

    @Test
    void theAutoscalerBuysCapacityForTheSustainedPeakAndGivesItBackInTheCalm() throws IOException {
        CapacityReport report = simulate();
        CapacityReport.Summary auto = report.strategies().get(0);
        CapacityReport.Summary peak = report.strategies().get(1);
        CapacityReport.Summary average = report.strategies().get(2);

        // 1.3 slots at target 0.7: 2; the peak 2.6 at 2 subtasks is 1.3 each: ceil(2 × 1.3 / 0.7) = 4.
        assertThat(auto.rescales()).extracting(CapacitySimulation.Rescale::to).containsExactly(4, 2);
        assertThat(auto.rescales().get(0).atSeconds()).isBetween(20 * 60.0, 50 * 60.0);
        assertThat(auto.rescales().get(1).atSeconds()).isGreaterThan(50 * 60.0);
        // After the scale-up the level returns to none: the peak's second half runs at full quality.
        assertThat(auto.peak().slots()).isEqualTo(4);
        assertThat(auto.peak().fullQualityLoad()).isBetween(0.4, 0.9);
        assertThat(auto.calmAfter().slots()).isEqualTo(2);

        assertThat(peak.minSlots()).isEqualTo(4);
        assertThat(average.maxSlots()).isEqualTo(2);
        assertThat(auto.slotSeconds()).isLessThan(peak.slotSeconds()).isGreaterThan(average.slotSeconds());
        assertThat(auto.fullQualityShare()).isGreaterThan(average.fullQualityShare() + 0.2);
        assertThat(peak.fullQualityShare()).isGreaterThan(0.99);

        // The hazard: compressing, the average-sized job looks busy but within Flink's band,
        // while its full-quality load asks for more capacity.
        assertThat(average.peak().fullQualityLoad()).isGreaterThan(1.2);
        assertThat(average.peak().busy()).isBetween(0.4, 1.0);
        assertThat(average.peak().flinkParallelism()).isEqualTo(2);
        assertThat(average.peak().fullQualityParallelism()).isEqualTo(4);
    }

    @Test
    void isDeterministic() throws IOException {
        simulate();
        String first = Files.readString(dir.resolve("capacity-sim.json"));
        simulate();
        assertThat(Files.readString(dir.resolve("capacity-sim.json"))).isEqualTo(first);
    }

    @Test
    void helpAndUsageErrors() {
        Result help = run("capacity-sim", "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("--ladder", "--restart-seconds", "capacity-sim.json", "capacity-sim.png");
        assertThat(run("--help").out()).contains("capacity-sim");
        assertUsageError(run("capacity-sim"), "capacity-sim: missing required option --ladder FILE");
        assertUsageError(
                run("capacity-sim", "--ladder", "x", "--minutes", "1,2"),
                "capacity-sim: --minutes: expected three numbers (calm, peak, calm) but got 2");
        assertUsageError(
                run("capacity-sim", "--ladder", "x", "--step-ms", "300"),
                "capacity-sim: --step-ms: expected a whole number of ms that divides 1000 but got '300'");
        assertUsageError(
                run("capacity-sim", "--ladder", "x", "--windows", "600,60,60"),
                "capacity-sim: --windows: vit.scaling.down-window (PT1M) must be at least vit.scaling.up-window (PT10M):"
                        + " give capacity back more slowly than it is bought");
    }

    @Test
    void aMissingLadderFileFailsNamingIt() {
        Result r = run("capacity-sim", "--ladder", dir.resolve("nope.json").toString());
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("nope.json");
    }
}
