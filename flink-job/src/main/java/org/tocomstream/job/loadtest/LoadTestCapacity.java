package org.tocomstream.job.loadtest;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.flink.configuration.Configuration;
import org.tocomstream.control.Ladder;
import org.tocomstream.job.kafka.FramePublisher;
import org.tocomstream.job.pipeline.ControlOptions;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.run.PipelineRuns;

/**
 * The job's capacity for {@code loadtest}, in frames/s at the ladder's first rung, fixed: the
 * figure the phases' loads are multiples of.
 */
final class LoadTestCapacity {

    private LoadTestCapacity() {}

    /**
     * The capacity at the ladder's first rung: {@code s.capacity()} when given; else measured over
     * a filled topic of {@code frames} frames after a warm-up run, then, with {@code
     * underLoadSeconds > 0}, under the cameras.
     */
    static double measure(
            String bs,
            LoadTestSettings s,
            Ladder ladder,
            PipelineRuns.Cameras cameras,
            int frames,
            double underLoadSeconds,
            PrintStream out)
            throws Exception {
        if (s.capacity() > 0) {
            out.printf(Locale.ROOT, "capacity at %s: %.1f frames/s (given)%n", ladder.level(0), s.capacity());
            return s.capacity();
        }
        // A warm-up run of the same job over half as many frames first: in a fresh JVM the JIT
        // compiles Kafka's, Flink's and our code during the first run and takes 5-19 % of a core
        // (bench-pipeline), which would understate the capacity and so every phase's load.
        out.printf(
                Locale.ROOT,
                "warming up over %d frames, then measuring the capacity at %s over %d frames ...%n",
                Math.max(1, frames / 2),
                ladder.level(0),
                frames);
        PipelineRuns.measureCapacity(
                bs,
                capacityConf(bs, s, ladder, "lt-warmup"),
                new FramePublisher.Settings(
                        "lt-warmup-frames",
                        s.streams(),
                        0,
                        "cam-",
                        Math.max(1, (frames / 2 + s.streams() - 1) / s.streams()),
                        null),
                cameras.frames());
        Configuration conf = capacityConf(bs, s, ladder, "lt-capacity");
        FramePublisher.Settings fill = new FramePublisher.Settings(
                "lt-capacity-frames", s.streams(), 0, "cam-", (frames + s.streams() - 1) / s.streams(), null);
        PipelineRuns.Capacity c = PipelineRuns.measureCapacity(bs, conf, fill, cameras.frames());
        out.printf(
                Locale.ROOT,
                "capacity at %s over a filled topic: %.1f frames/s (%d labels, mean batch %.1f,"
                        + " model busy %.0f %%)%n",
                ladder.level(0),
                c.labelsPerSecond(),
                c.labels(),
                c.meanBatch(),
                100 * c.modelBusy());
        if (underLoadSeconds <= 0) {
            return c.labelsPerSecond();
        }
        return capacityUnderLoad(bs, s, ladder, cameras, c.labelsPerSecond(), underLoadSeconds, out);
    }

    /** Share of the first capacity figure the under-load measurement offers: enough to saturate. */
    static final double UNDER_LOAD_OFFER = 1.2;

    /**
     * The capacity while the cameras publish: the phases run the producer, the broker and the
     * label reader in the same JVM as the job, and on a small machine they take a share of the
     * cores that a run over a filled topic does not see (2 cores: the filled topic gave 249
     * frames/s, level 0 then labelled 185-236 frames/s in the 1.0x phases). Level 0 fixed, offered
     * {@link #UNDER_LOAD_OFFER} x the first figure, so it is saturated; the capacity is the mean
     * of the labels per second over the phase's second half.
     */
    private static double capacityUnderLoad(
            String bs,
            LoadTestSettings s,
            Ladder ladder,
            PipelineRuns.Cameras cameras,
            double firstFigure,
            double seconds,
            PrintStream out)
            throws Exception {
        out.printf(
                Locale.ROOT,
                "measuring the capacity at %s under the cameras: %.1f frames/s offered for %.0f s ...%n",
                ladder.level(0),
                UNDER_LOAD_OFFER * firstFigure,
                seconds);
        LoadTestSettings probe = s.withCapacity(firstFigure).withProfile(List.of(UNDER_LOAD_OFFER), seconds);
        LoadTestRun.Result r =
                new LoadTestRun(bs, probe, cameras, out, "capacity-").run(LoadTestPolicy.FIXED_0, ladder, null);
        LoadTestAnalysis.Report report =
                new LoadTestAnalysis(ladder, null, cameras, List.of(UNDER_LOAD_OFFER)).analyse(r);
        long[] labelled = report.seconds().stream()
                .filter(x -> x.phase().equals("1") && x.t() >= seconds / 2 && x.t() < seconds)
                .mapToLong(LoadTestAnalysis.Second::labelled)
                .toArray();
        if (labelled.length == 0) {
            out.printf(
                    Locale.ROOT,
                    "capacity at %s: %.1f frames/s (the run under the cameras was too short to" + " tell)%n",
                    ladder.level(0),
                    firstFigure);
            return firstFigure;
        }
        // The mean, not the median: labels arrive a batch at a time, so a second's count is a
        // multiple of the batch size give or take, and the median of such counts is that coarse.
        double mean = Arrays.stream(labelled).average().orElseThrow();
        out.printf(
                Locale.ROOT,
                "capacity at %s under the cameras: %.1f frames/s (mean of %d seconds; %.0f %% of"
                        + " the filled-topic figure)%n",
                ladder.level(0),
                mean,
                labelled.length,
                100 * mean / firstFigure);
        return mean;
    }

    /** The capacity run's job: the ladder's first rung, fixed, with the command line's job flags. */
    private static Configuration capacityConf(String bs, LoadTestSettings s, Ladder ladder, String prefix) {
        Configuration conf = PipelineRuns.jobConf(
                bs, s.modelDir(), ladder.level(0).toString(), s.maxBatch(), s.maxDelayMs(), prefix);
        conf.addAll(s.jobFlags());
        conf.set(ControlOptions.POLICY, ControlOptions.Policy.FIXED);
        conf.set(StreamJobOptions.LEVEL, ladder.level(0).toString());
        return conf;
    }
}
