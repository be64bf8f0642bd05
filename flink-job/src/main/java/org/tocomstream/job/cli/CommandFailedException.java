package org.tocomstream.job.cli;

/**
 * A command that was used correctly but could not do its work (missing file, unreadable model,
 * engine failure): printed as one line on stderr, exit status 1. The cause's stack trace is
 * printed only with {@code --verbose}.
 */
public final class CommandFailedException extends Exception {

    private static final long serialVersionUID = 1L;

    public CommandFailedException(String message) {
        super(message);
    }

    public CommandFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
