package org.tocomstream.job.diffrate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.CommandLines.assertUsageError;
import static org.tocomstream.job.testutils.CommandLines.run;

import org.junit.jupiter.api.Test;
import org.tocomstream.job.testutils.CommandLines.Result;

/** {@code diffrate search}: help and the one-line usage errors, all found before a model is loaded. */
class DiffRateCommandTest {

    @Test
    void help() {
        Result r = run("diffrate", "--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("--target-gmacs", "--flops-weight", "diffrate:file=FILE", "resumes");
    }

    @Test
    void subcommands() {
        assertUsageError(run("diffrate"), "diffrate: missing subcommand; expected search");
        assertUsageError(run("diffrate", "fit"), "diffrate: unknown subcommand 'fit'; expected search");
    }

    @Test
    void requiredOptions() {
        assertUsageError(
                run("diffrate", "search", "--generator", "--target-gmacs", "0.1"),
                "diffrate search: missing required option --model DIR");
        assertUsageError(
                run("diffrate", "search", "--model", "m", "--generator"),
                "diffrate search: missing required option --target-gmacs X");
    }

    @Test
    void badNumbers() {
        for (String bad : new String[] {"x", "-1", "0", "inf", "nan"}) {
            assertUsageError(
                    run("diffrate", "search", "--model", "m", "--generator", "--target-gmacs", bad),
                    "diffrate search: --target-gmacs: expected a number > 0 but got '" + bad + "'");
        }
        assertUsageError(search("--epochs", "0"), "diffrate search: --epochs: expected a positive integer but got '0'");
        assertUsageError(search("--batch", "b"), "diffrate search: --batch: expected a positive integer but got 'b'");
        assertUsageError(search("--lr", "0"), "diffrate search: --lr: expected a number > 0 but got '0'");
        assertUsageError(
                search("--lr", "0.01", "--min-lr", "0.1"),
                "diffrate search: --min-lr: must not exceed --lr 0.01 but got '0.1'");
        assertUsageError(
                search("--flops-weight", "-2"), "diffrate search: --flops-weight: expected a number > 0 but got '-2'");
        assertUsageError(
                search("--batch", "50", "--train-size", "10"),
                "diffrate search: --batch: exceeds --train-size 10: got '50'");
        assertUsageError(search("--start", "zero"), "diffrate search: --start: expected half or target but got 'zero'");
    }

    @Test
    void dataSources() {
        assertUsageError(
                run("diffrate", "search", "--model", "m", "--target-gmacs", "0.1"),
                "diffrate search: give --images DIR, --generator or --topic T");
        assertUsageError(
                run("diffrate", "search", "--model", "m", "--images", "i", "--generator", "--target-gmacs", "0.1"),
                "diffrate search: --images and --generator cannot be used together");
        assertUsageError(
                run("diffrate", "search", "--model", "m", "--topic", "t", "--target-gmacs", "0.1"),
                "diffrate search: --topic: requires --bootstrap");
        assertUsageError(
                run("diffrate", "search", "--model", "m", "--images", "i", "--noise", "5", "--target-gmacs", "0.1"),
                "diffrate search: --noise: requires --generator");
        assertUsageError(
                run(
                        "diffrate",
                        "search",
                        "--model",
                        "m",
                        "--images",
                        "i",
                        "--target-gmacs",
                        "0.1",
                        "--train-size",
                        "9"),
                "diffrate search: --train-size: requires --generator");
    }

    /** {@code diffrate search} with a model, generated scenes, a target and {@code extra}. */
    private static Result search(String... extra) {
        String[] base = {"diffrate", "search", "--model", "m", "--generator", "--target-gmacs", "0.1"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return run(all);
    }
}
