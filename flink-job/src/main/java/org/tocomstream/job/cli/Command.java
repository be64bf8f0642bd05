package org.tocomstream.job.cli;

import java.io.PrintStream;

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
}
