package org.tocomstream.job.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C (SIGINT/SIGTERM) for a command that must stop cleanly: the JVM's shutdown hook runs
 * {@code onSignal} (which asks the command to stop) and then waits, up to {@code grace}, until the
 * command has cleaned up and closed this signal. Closing without a signal removes the hook.
 *
 * <pre>{@code
 * try (ShutdownSignal signal = ShutdownSignal.install(publisher::stop, 30)) {
 *     publisher.run();   // returns soon after Ctrl-C
 * }                      // the hook may now let the JVM exit
 * }</pre>
 */
public final class ShutdownSignal implements AutoCloseable {

    private final Thread hook;
    private final CountDownLatch cleanedUp = new CountDownLatch(1);
    private volatile boolean signalled;

    private ShutdownSignal(Runnable onSignal, long graceSeconds) {
        this.hook = new Thread(
                () -> {
                    signalled = true;
                    onSignal.run();
                    try {
                        cleanedUp.await(graceSeconds, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "tocom-stream-shutdown");
    }

    /** Registers the hook. */
    public static ShutdownSignal install(Runnable onSignal, long graceSeconds) {
        ShutdownSignal s = new ShutdownSignal(onSignal, graceSeconds);
        Runtime.getRuntime().addShutdownHook(s.hook);
        return s;
    }

    /** True once Ctrl-C (or another JVM shutdown) has begun. */
    public boolean signalled() {
        return signalled;
    }

    /** Marks clean-up finished; removes the hook when the JVM is not shutting down. */
    @Override
    public void close() {
        cleanedUp.countDown();
        if (!signalled) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // Shutdown began in between: the hook runs and finds clean-up done.
            }
        }
    }
}
