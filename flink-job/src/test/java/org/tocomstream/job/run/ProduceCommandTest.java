package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import org.junit.jupiter.api.Test;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines.Result;

/** {@code produce} usage errors: all found before any connection is made. */
class ProduceCommandTest {

    private static final String BS = "127.0.0.1:9";

    @Test
    void helpNamesTheSourcesAndHeaders() {
        Result r = run("produce", "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out())
                .contains("--images DIR", "--video FILE", "--generator", "frame-seq", "capture-ts", "FFmpeg");
    }

    @Test
    void bootstrapIsRequiredAndChecked() {
        assertUsageError(run("produce", "--generator"), "produce: missing required option --bootstrap HOST:PORT");
        assertUsageError(
                run("produce", "--bootstrap", "localhost", "--generator"),
                "produce: --bootstrap: expected HOST:PORT[,HOST:PORT...] but got 'localhost'");
    }

    @Test
    void exactlyOneSource() {
        assertUsageError(run("produce", "--bootstrap", BS), "produce: give --images DIR, --video FILE or --generator");
        assertUsageError(
                run("produce", "--bootstrap", BS, "--images", "d", "--generator"),
                "produce: --images and --generator cannot be used together");
    }

    @Test
    void badNumbers() {
        assertUsageError(
                run("produce", "--bootstrap", BS, "--generator", "--fps", "-1"),
                "produce: --fps: expected a number >= 0 but got '-1'");
        assertUsageError(
                run("produce", "--bootstrap", BS, "--generator", "--streams", "0"),
                "produce: --streams: expected a positive integer but got '0'");
        assertUsageError(
                run("produce", "--bootstrap", BS, "--generator", "--seconds", "0"),
                "produce: --seconds: expected a number > 0 but got '0'");
    }

    @Test
    void generatorOnlyOptions() {
        assertUsageError(
                run("produce", "--bootstrap", BS, "--images", "d", "--png"), "produce: --png: requires --generator");
        assertUsageError(
                run("produce", "--bootstrap", BS, "--images", "d", "--scene", "static"),
                "produce: --scene: requires --generator");
        assertUsageError(
                run("produce", "--bootstrap", BS, "--generator", "--scene", "still"),
                "produce: --scene: camera scene must be segments or static but was 'still'");
        assertUsageError(
                run("produce", "--bootstrap", BS, "--generator", "--loop"),
                "produce: --loop: the generator is endless; --loop is for --images and --video");
    }

    @Test
    void missingImageDirectoryFailsWithOneLine() {
        Result r = run("produce", "--bootstrap", BS, "--images", "/no/such/dir");
        assertThat(r.status()).isEqualTo(Cli.FAILED);
        assertThat(r.err()).isEqualTo("produce: error: not a directory: /no/such/dir" + System.lineSeparator());
    }

    @Test
    void hostileNeedsACountAndNoOtherSource() {
        assertUsageError(run("produce", "--bootstrap", BS, "--hostile"), "produce: missing required option --count N");
        assertUsageError(
                run("produce", "--bootstrap", BS, "--hostile", "--count", "5", "--generator"),
                "produce: --generator: not with --hostile");
        assertUsageError(
                run("produce", "--bootstrap", BS, "--hostile", "--count", "0"),
                "produce: --count: expected a positive integer but got '0'");
        assertThat(run("produce", "--help").out()).contains("--hostile", "x-hostile-expect", "message.max.bytes");
    }

    @Test
    void auditNeedsItsTopicsAndChecksItsTimes() {
        assertUsageError(
                run("audit", "--bootstrap", BS, "--frames-topic", "f", "--labels-topic", "l"),
                "audit: missing required option --dead-letter-topic NAME");
        assertUsageError(
                run(
                        "audit",
                        "--bootstrap",
                        BS,
                        "--frames-topic",
                        "f",
                        "--labels-topic",
                        "l",
                        "--dead-letter-topic",
                        "d",
                        "--timeout",
                        "0"),
                "audit: --timeout: expected a number of seconds > 0 but got '0'");
        assertThat(run("audit", "--help").out()).contains("audit: sent=N labelled=N dead-lettered=N lost=N");
    }
}
