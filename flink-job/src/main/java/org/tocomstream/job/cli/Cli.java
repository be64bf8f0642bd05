package org.tocomstream.job.cli;

import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/** What every command shares: exit statuses, the {@code --verbose} flag and one-line error text. */
public final class Cli {

    /** Exit status of a successful run. */
    public static final int OK = 0;

    /** Exit status when the command failed at run time. */
    public static final int FAILED = 1;

    /** Exit status for bad usage. */
    public static final int USAGE = 2;

    /** The flag that adds stack traces to failures; accepted by every command. */
    public static final String VERBOSE = "--verbose";

    private Cli() {}

    /** The exception's message, or its type when it has none. */
    public static String describe(Throwable e) {
        if (e instanceof NoSuchFileException) {
            return "no such file: " + ((NoSuchFileException) e).getFile();
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied: " + ((AccessDeniedException) e).getFile();
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getName() : m;
    }
}
