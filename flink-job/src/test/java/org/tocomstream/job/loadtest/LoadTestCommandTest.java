package org.tocomstream.job.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import org.junit.jupiter.api.Test;
import org.tocomstream.job.testutils.CommandLines.Result;

/** {@code loadtest} help and usage errors, found before anything starts; the run itself is {@link LoadTestITCase}. */
class LoadTestCommandTest {

    @Test
    void helpNamesTheOutputsAndPolicies() {
        Result r = run("loadtest", "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out())
                .contains(
                        "loadtest-<policy>.csv",
                        "loadtest-<policy>.png",
                        "loadtest-summary.json",
                        "fixed-0",
                        "fixed-top",
                        "adaptive-shed",
                        "--phases",
                        "--phase-seconds",
                        "--ladder",
                        "--ladders",
                        "derived,measured",
                        "loadtest-ladders.png",
                        "--latency-target");
        assertThat(run("--help").out()).contains("loadtest");
    }

    @Test
    void usageErrors() {
        assertUsageError(
                run("loadtest", "--phases", "0.5,x"),
                "loadtest: --phases: expected multiples of the capacity in (0, 10] but got 'x'");
        assertUsageError(
                run("loadtest", "--phases", "0.5,0"),
                "loadtest: --phases: expected multiples of the capacity in (0, 10] but got '0'");
        assertUsageError(
                run("loadtest", "--policies", "adaptive,fixed-1"),
                "loadtest: --policies: unknown policy 'fixed-1'; known: fixed-0, fixed-top, adaptive, adaptive-shed,"
                        + " default");
        assertUsageError(
                run("loadtest", "--policies", "adaptive,adaptive"), "loadtest: --policies: 'adaptive' given twice");
        assertUsageError(
                run("loadtest", "--phase-seconds", "0.5"),
                "loadtest: --phase-seconds: expected a number >= 1 but got '0.5'");
        assertUsageError(run("loadtest", "--capacity", "0"), "loadtest: --capacity: expected a number > 0 but got '0'");
        assertUsageError(
                run("loadtest", "--capacity-seconds", "-1"),
                "loadtest: --capacity-seconds: expected a number of seconds >= 0 but got '-1'");
        assertUsageError(
                run("loadtest", "--capacity-frames", "40"),
                "loadtest: --capacity-frames: must be at least 10 x the max batch size (8)");
        assertUsageError(
                run("loadtest", "--shed", "off"),
                "loadtest: --shed: the adaptive-shed policy needs a mode: deadline or latest-per-stream");
        assertUsageError(
                run("loadtest", "--restore-utilization", "0.9"),
                "loadtest: --restore-utilization must be in (0, --target-utilization = 0.85) so that a hysteresis"
                        + " band remains, but was 0.9");
        assertUsageError(
                run("loadtest", "--noise", "70"), "loadtest: --noise: expected a number in [0, 64] but got '70'");
        assertUsageError(
                run("loadtest", "--object-scale", "0.5"),
                "loadtest: --object-scale: '0.5': expected MIN,MAX such as 0.25,0.6");
        assertUsageError(
                run("loadtest", "--scene", "still"),
                "loadtest: --scene: camera scene must be segments or static but was 'still'");
        assertUsageError(
                run("loadtest", "--ladders", "derived,fast"),
                "loadtest: --ladders: unknown ladder 'fast'; expected derived, measured or NAME=LADDER");
    }

    @Test
    void theMeasuredLadderNeedsTheModelsLadderJson() {
        // The bundled model is copied to a fresh directory, which has no ladder.json.
        Result r = run("loadtest", "--ladders", "derived,measured");
        assertThat(r.status()).isEqualTo(org.tocomstream.job.cli.Cli.USAGE);
        assertThat(r.err())
                .contains("loadtest: --ladders: measured: no ladder.json in ", "measure it first: ladder --model");
        assertThat(r.out()).isEmpty();
    }
}
