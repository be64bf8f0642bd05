package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.stream.testutils.Frames.frame;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.util.function.ThrowingRunnable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.stream.testutils.TestingPredictor;

/** The inference threads and their mails, with a queue standing in for the task's mailbox. */
class InferenceThreadsTest {

    private record Mail(ThrowingRunnable<? extends Exception> action, String description) {}

    private final BlockingQueue<Mail> mails = new LinkedBlockingQueue<>();
    private InferenceThreads threads;

    @AfterEach
    void stop() {
        if (threads != null) {
            threads.stop(10, TimeUnit.SECONDS);
        }
    }

    private static InferenceBatch batch(String stream) {
        return new InferenceBatch(
                List.of(new PendingFrame(frame(stream, 0, 900, 2), false, 0)),
                BatchPlan.of(CompressionLevel.none()),
                1000,
                null);
    }

    private Mail nextMail() throws InterruptedException {
        Mail mail = mails.poll(10, TimeUnit.SECONDS);
        assertThat(mail).as("a mail within 10 s").isNotNull();
        return mail;
    }

    private InferenceThreads start(TestingPredictor predictor, InferenceThreads.Completion completion) {
        threads = InferenceThreads.start(
                2,
                "inference (1/1)",
                new BatchRunner(predictor, predictor.labels(), 1),
                (action, description) -> mails.add(new Mail(action, description)),
                completion);
        return threads;
    }

    @Test
    void aResultComesBackAsAnEmitMailThatCompletesTheBatchOnTheCallersThread() throws Exception {
        TestingPredictor predictor = TestingPredictor.simple();
        InferenceBatch[] completed = new InferenceBatch[1];
        start(predictor, (b, r) -> {
            completed[0] = b;
            b.complete(r);
        });
        InferenceBatch batch = batch("a");

        threads.submit(batch);
        Mail mail = nextMail();
        assertThat(batch.isLabelled())
                .as("nothing is applied before the mail runs")
                .isFalse();
        mail.action().run();

        assertThat(mail.description()).isEqualTo("BatchInference#emit");
        assertThat(completed[0]).isSameAs(batch);
        assertThat(batch.result().labels())
                .singleElement()
                .satisfies(l -> assertThat(l.get(0).label()).isEqualTo("class_2"));
        assertThat(predictor.calls())
                .singleElement()
                .satisfies(c -> assertThat(c.thread()).startsWith("inference-").endsWith("(inference (1/1))"));
        threads.checkFailure();
    }

    @Test
    void aFailureIsKeptForTheTaskThreadAndItsMailThrowsIt() throws Exception {
        TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> {
            throw new IllegalStateException("boom");
        });
        start(predictor, (b, r) -> {
            throw new AssertionError("no result expected");
        });

        threads.submit(batch("cam-1"));
        Mail mail = nextMail();

        assertThat(mail.description()).isEqualTo("BatchInference#fail");
        assertThatThrownBy(threads::checkFailure)
                .isInstanceOf(InferenceException.class)
                .hasMessageContaining("first frame cam-1#0")
                .hasRootCauseMessage("boom");
        assertThatThrownBy(() -> mail.action().run())
                .isInstanceOf(InferenceException.class)
                .hasRootCauseMessage("boom");
    }

    @Test
    void stopInterruptsARunningForwardPassAndWaitsForIt() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> {
            running.countDown();
            Thread.sleep(60_000);
        });
        start(predictor, (b, r) -> {});
        threads.submit(batch("a"));
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(threads.stop(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void stopReportsAThreadThatDoesNotStopInTime() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> {
            running.countDown();
            while (release.getCount() > 0) {
                try {
                    release.await();
                } catch (InterruptedException ignored) {
                    // A forward pass in native code does not see interrupts either.
                }
            }
        });
        start(predictor, (b, r) -> {});
        threads.submit(batch("a"));
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(threads.stop(50, TimeUnit.MILLISECONDS)).isFalse();
        release.countDown();
    }

    @Test
    void whatWaitsForAThreadThatDidNotStopInTimeRunsWhenItEnds() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        TestingPredictor predictor = new TestingPredictor(4, 4, (i, px, n, level) -> {
            running.countDown();
            while (release.getCount() > 0) {
                try {
                    release.await();
                } catch (InterruptedException ignored) {
                    // A forward pass in native code does not see interrupts either.
                }
            }
        });
        start(predictor, (b, r) -> {});
        threads.submit(batch("a"));
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(threads.stop(50, TimeUnit.MILLISECONDS)).isFalse();
        CountDownLatch released = new CountDownLatch(1);

        threads.whenTerminated(released::countDown);
        Thread.sleep(50);
        assertThat(released.getCount()).as("the forward pass still runs").isEqualTo(1);
        release.countDown();

        assertThat(released.await(10, TimeUnit.SECONDS))
                .as("released when the thread ends")
                .isTrue();
    }

    @Test
    void whatWaitsForThreadsThatAlreadyStoppedRunsAtOnce() {
        start(TestingPredictor.simple(), (b, r) -> {});
        assertThat(threads.stop(10, TimeUnit.SECONDS)).isTrue();
        AtomicInteger runs = new AtomicInteger();

        threads.whenTerminated(runs::incrementAndGet);

        assertThat(runs).hasValue(1);
    }
}
