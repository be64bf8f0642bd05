package org.tocomstream.job.diffrate;

import java.io.PrintStream;
import java.util.Arrays;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.UsageException;

/**
 * {@code diffrate}: DiffRate schedules. {@code diffrate search} learns one for a model and a
 * GMACs target from images ({@link DiffRateSearchRun}); the file it writes runs as {@code
 * --level diffrate:file=FILE}.
 */
public final class DiffRateCommand implements Command {

    @Override
    public String name() {
        return "diffrate";
    }

    @Override
    public String summary() {
        return "DiffRate: learn per-block prune and merge counts for a GMACs target (search)";
    }

    @Override
    public String help() {
        return "usage: diffrate search --model DIR (--images DIR | --generator | --topic T --bootstrap H:P)"
                + " --target-gmacs X [OPTIONS]\n\n"
                + DiffRateSearchRun.HELP;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        if (args.length == 0) {
            throw UsageException.of("diffrate", null, "missing subcommand; expected search");
        }
        if (!args[0].equals("search")) {
            throw UsageException.of("diffrate", null, "unknown subcommand '" + args[0] + "'; expected search");
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return new DiffRateSearchRun(DiffRateSearchRun.settings(rest), err).execute(out);
    }
}
