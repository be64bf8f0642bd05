package org.tocomstream.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.util.function.ThrowingRunnable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inference operator's threads and the way back from them: a fixed pool of daemon threads
 * runs batches through a {@link BatchRunner}, and each result, or failure, returns to the task
 * thread as a mail. The first failure is also kept, so the task thread rethrows it from its next
 * call ({@link #checkFailure}) even before the failure's mail runs.
 *
 * <pre>{@code
 * InferenceThreads threads =
 *         InferenceThreads.start(maxInFlight, taskName, runner, this::post, this::complete);
 * threads.submit(batch);            // task thread
 * threads.checkFailure();           // task thread, before taking more input
 * if (!threads.stop(60, TimeUnit.SECONDS)) {
 *     threads.whenTerminated(predictor::close);   // once the last forward pass ends
 * }
 * }</pre>
 */
final class InferenceThreads {

    private static final Logger LOG = LoggerFactory.getLogger(InferenceThreads.class);

    /** Hands a mail to the task thread: the operator's mailbox. */
    @FunctionalInterface
    interface Mailbox {
        void post(ThrowingRunnable<? extends Exception> action, String description);
    }

    /** Applies a batch's result; runs on the task thread. */
    @FunctionalInterface
    interface Completion {
        void complete(InferenceBatch batch, InferenceBatch.Result result);
    }

    /** The description of a result's mail. */
    static final String EMIT = "BatchInference#emit";

    /** The description of a failure's mail, which throws the failure on the task thread. */
    static final String FAIL = "BatchInference#fail";

    private final Pool pool;
    private final BatchRunner runner;
    private final Mailbox mailbox;
    private final Completion completion;
    private volatile InferenceException failure;

    private InferenceThreads(Pool pool, BatchRunner runner, Mailbox mailbox, Completion completion) {
        this.pool = pool;
        this.runner = Objects.requireNonNull(runner, "runner");
        this.mailbox = Objects.requireNonNull(mailbox, "mailbox");
        this.completion = Objects.requireNonNull(completion, "completion");
    }

    /**
     * Starts {@code threads} daemon threads named {@code inference-<n> (<taskName>)}.
     *
     * @param mailbox where results and failures go
     * @param completion what a result's mail runs
     */
    static InferenceThreads start(
            int threads, String taskName, BatchRunner runner, Mailbox mailbox, Completion completion) {
        return new InferenceThreads(new Pool(threads, threadFactory(taskName)), runner, mailbox, completion);
    }

    /** Runs {@code batch} on a free thread; it has at least one frame to run. */
    void submit(InferenceBatch batch) {
        pool.execute(() -> run(batch));
    }

    /** Rethrows the first failure of any batch so far. */
    void checkFailure() throws InferenceException {
        InferenceException first = failure;
        if (first != null) {
            throw first;
        }
    }

    /**
     * Interrupts the threads and waits for them.
     *
     * @return false when a thread was still running after {@code timeout}, or the wait was
     *     interrupted: a forward pass may still be using the model
     */
    boolean stop(long timeout, TimeUnit unit) {
        pool.shutdownNow();
        try {
            return pool.awaitTermination(timeout, unit);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs {@code action} once every thread has ended after {@link #stop}: at once if they have,
     * else on the last thread as it ends. For what a forward pass that did not stop in time may
     * still use (the model), so it is released when the pass ends rather than never.
     */
    void whenTerminated(Runnable action) {
        pool.whenTerminated(Objects.requireNonNull(action, "action"));
    }

    private void run(InferenceBatch batch) {
        InferenceBatch.Result result;
        try {
            result = runner.run(batch);
        } catch (InferenceException e) {
            if (failure == null) {
                failure = e;
            }
            mailbox.post(
                    () -> {
                        throw e;
                    },
                    FAIL);
            return;
        }
        mailbox.post(() -> completion.complete(batch, result), EMIT);
    }

    /** A fixed pool that runs actions registered for its termination. */
    private static final class Pool extends ThreadPoolExecutor {
        private final List<Runnable> onTerminated = new ArrayList<>();
        private boolean done;

        Pool(int threads, ThreadFactory factory) {
            super(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), factory);
        }

        void whenTerminated(Runnable action) {
            synchronized (onTerminated) {
                if (!done) {
                    onTerminated.add(action);
                    return;
                }
            }
            runQuietly(action);
        }

        @Override
        protected void terminated() {
            List<Runnable> actions;
            synchronized (onTerminated) {
                done = true;
                actions = new ArrayList<>(onTerminated);
                onTerminated.clear();
            }
            actions.forEach(Pool::runQuietly);
        }

        private static void runQuietly(Runnable action) {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.warn("Releasing after the inference threads ended failed", e);
            }
        }
    }

    private static ThreadFactory threadFactory(String taskName) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "inference-" + n.incrementAndGet() + " (" + taskName + ")");
            t.setDaemon(true);
            return t;
        };
    }
}
