package org.tocomstream.job.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import org.junit.jupiter.api.Test;
import org.tocomstream.job.testutils.CommandLines.Result;

/** {@code bench-pipeline} usage errors, found before anything starts. */
class PipelineBenchCommandTest {

    @Test
    void helpSaysWhatIsMeasured() {
        Result r = run("bench-pipeline", "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("bare engine", "labels/s", "p50/p99", "--loads", "--preset");
    }

    @Test
    void usageErrors() {
        assertUsageError(
                run("bench-pipeline", "--loads", "0.5,x"),
                "bench-pipeline: --loads: expected fractions in (0, 2] but got 'x'");
        assertUsageError(
                run("bench-pipeline", "--frames", "50", "--batch", "8"),
                "bench-pipeline: --frames: must be at least 10 x --batch");
        assertUsageError(
                run("bench-pipeline", "--model", "m", "--preset", "vit_demo"),
                "bench-pipeline: --model and --preset cannot be used together");
        assertUsageError(run("bench-pipeline", "--level", "tome"), "bench-pipeline: --level: " + levelError("tome"));
        assertThat(run("bench-pipeline", "--preset", "vit_nope").err())
                .startsWith("bench-pipeline: --preset: unknown preset 'vit_nope'; known: ");
        assertUsageError(
                run("bench-pipeline", "--seconds", "1"),
                "bench-pipeline: --seconds: expected a number >= 4 but got '1'");
    }

    private static String levelError(String text) {
        try {
            org.tocomstream.compress.CompressionLevel.parse(text);
            throw new AssertionError("parsed");
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
