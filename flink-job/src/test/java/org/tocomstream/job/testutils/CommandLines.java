package org.tocomstream.job.testutils;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.tocomstream.job.Main;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines.Result;

/** Runs one command line of the job jar in-process and captures what it printed. */
public final class CommandLines {

    private CommandLines() {}

    /** Exit status and captured output of one command line. */
    public record Result(int status, String out, String err) {}

    public static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = Main.run(args, o, e);
        }
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Asserts exit status 2 and exactly one stderr line. */
    public static void assertUsageError(Result r, String line) {
        assertThat(r.status()).as(r.err()).isEqualTo(Cli.USAGE);
        assertThat(r.err()).isEqualTo(line + System.lineSeparator());
        assertThat(r.out()).isEmpty();
    }
}
