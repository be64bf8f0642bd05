package org.tocomstream.job.cli;

import java.io.PrintStream;
import java.util.function.BooleanSupplier;

/** One subcommand of the job jar ({@code predict}, {@code bench}, ...). */
public interface Command {

    /** The word that selects this command. */
    String name();

    /** One line for the top-level usage text. */
    String summary();

    /** The full help text, printed by {@code COMMAND --help}. */
    String help();

    /**
     * Runs the command. Results go to {@code out}, progress and per-input problems to {@code err}.
     *
     * @return the exit status: 0 when everything worked, 1 when some inputs failed but the
     *     command finished
     * @throws UsageException bad arguments (exit status 2)
     * @throws CommandFailedException the command could not do its work (exit status 1)
     */
    int run(String[] args, PrintStream out, PrintStream err) throws UsageException, CommandFailedException;

    /**
     * True when the command stops at its next safe point on Ctrl-C (SIGINT/SIGTERM) once {@code
     * stop} in {@link #run(String[], PrintStream, PrintStream, BooleanSupplier)} says so: the
     * entry point then waits for it to return before the JVM exits, so no native computation is
     * cut off mid-call and no file is left half-written. Default false: the JVM exits at once.
     */
    default boolean stopsOnSignal() {
        return false;
    }

    /**
     * Runs the command; a command whose {@link #stopsOnSignal()} is true polls {@code stop} and
     * returns soon after it turns true. The default ignores {@code stop}.
     */
    default int run(String[] args, PrintStream out, PrintStream err, BooleanSupplier stop)
            throws UsageException, CommandFailedException {
        return run(args, out, err);
    }
}
