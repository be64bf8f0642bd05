package org.tocomstream.job.run;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.tocomstream.job.kafka.EmbeddedKafka;
import org.tocomstream.job.kafka.FramePublisher;

/** What a {@code run} has started, stopped by {@link #stopAll} in reverse dependency order. */
final class StartedRun {
    EmbeddedKafka kafka;
    DemoModel.Resolved model;
    FramePublisher camera;
    Thread cameraThread;
    StatusReporter status;
    JobClient job;

    /** Stops the cameras, the job, the status line, the broker, then deletes a temporary model. */
    void stopAll(PrintStream out, long startNanos) {
        if (camera != null) {
            camera.stop();
            join(cameraThread);
            camera.close();
        }
        if (job != null) {
            cancel(job);
        }
        if (status != null) {
            status.close();
            out.printf(
                    Locale.ROOT,
                    "stopped after %.1f s: %d frames in, %d labels out, %d dead letters%n",
                    (System.nanoTime() - startNanos) / 1e9,
                    status.frames(),
                    status.labels(),
                    status.deadLetters());
        }
        if (kafka != null) {
            kafka.close();
        }
        if (model != null && model.temporary()) {
            DemoModel.delete(model.dir());
        }
    }

    private static void cancel(JobClient job) {
        try {
            JobStatus s = job.getJobStatus().get(10, TimeUnit.SECONDS);
            if (!s.isGloballyTerminalState()) {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            // The MiniCluster may already be going down with the JVM (Ctrl-C): nothing left to stop.
        }
    }

    private static void join(Thread t) {
        if (t == null) {
            return;
        }
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
