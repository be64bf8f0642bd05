package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import org.junit.jupiter.api.Test;
import org.tocomstream.job.testutils.CommandLines.Result;

/** {@code run} usage errors: all found before Kafka, Flink or a model is started. */
class RunCommandTest {

    @Test
    void helpListsJobAndDemoFlags() {
        Result r = run("run", "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out())
                .contains(
                        "java -jar tocom-stream.jar",
                        "--bootstrap HOST:PORT",
                        "--delivery",
                        "--max-batch N",
                        "--streams N",
                        "--run-for DURATION",
                        "vit.batch.max-size, default 8");
    }

    @Test
    void optionsWithoutACommandAreRunOptions() {
        assertUsageError(
                run("--bootstrap", "kafka", "--model", "m"),
                "run: --bootstrap: expected HOST:PORT[,HOST:PORT...] but was 'kafka'");
        assertUsageError(run("--verbose", "--max-batch", "0"), "run: --max-batch: must be > 0 but was 0");
    }

    @Test
    void badValuesNameTheFlag() {
        assertUsageError(run("run", "--max-batch", "0"), "run: --max-batch: must be > 0 but was 0");
        assertUsageError(run("run", "--fps", "0"), "run: --fps: must be > 0 but was 0.0");
        assertUsageError(run("run", "--streams", "-1"), "run: --streams: must be >= 0 but was -1");
        assertUsageError(run("run", "--frame-size", "8"), "run: --frame-size: must be in [16, 4096] but was 8");
        assertUsageError(
                run("run", "--device", "tpu"), "run: --device: expected auto, cpu, gpu, gpuN or gpu(N) but was 'tpu'");
        assertUsageError(run("run", "extra"), "run: unexpected argument 'extra'");
    }
}
