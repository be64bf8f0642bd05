package org.tocomstream.job.cli;

/**
 * Bad command-line usage: printed as one line on stderr, exit status 2. The message already names
 * the command and the option, e.g. {@code predict: --tome: expected a non-negative integer but got
 * 'x'}.
 */
public final class UsageException extends Exception {

    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }

    /** {@code command: option: detail}, or {@code command: detail} when {@code option} is null. */
    public static UsageException of(String command, String option, String detail) {
        return new UsageException(option == null ? command + ": " + detail : command + ": " + option + ": " + detail);
    }
}
