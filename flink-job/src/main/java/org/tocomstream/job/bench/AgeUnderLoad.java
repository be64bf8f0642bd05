package org.tocomstream.job.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.job.kafka.FramePublisher;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.pipeline.StreamPipeline;
import org.tocomstream.job.pipeline.VitLabelStage;
import org.tocomstream.job.run.LabelReader;
import org.tocomstream.job.run.PipelineRuns;
import org.tocomstream.job.run.RunCommand;
import org.tocomstream.job.run.StatusReporter;

/**
 * Age under load, the last part of {@code bench-pipeline}: the job runs unbounded on the {@code
 * live-*} topics while synthetic cameras publish at each load, a fraction of the measured
 * capacity; frame age (read time minus capture time, at a {@code read_committed} reader) p50/p99
 * over the labels of frames captured after the first quarter of each run, and the age at emission.
 */
final class AgeUnderLoad {

    private AgeUnderLoad() {}

    /**
     * One run per load of {@code s.loads()}, in order, each for {@code s.seconds()}; returns each
     * run's figures, the report's {@code ageUnderLoad} entries.
     */
    static List<Map<String, Object>> measure(
            String bs,
            Path modelDir,
            PipelineBenchCommand.Settings s,
            double capacity,
            SceneConfig scenes,
            PrintStream out)
            throws Exception {
        int streams = s.streams();
        List<Double> loads = s.loads();
        double seconds = s.seconds();
        Configuration conf = s.jobConf(bs, modelDir, "live");
        conf.set(StreamJobOptions.STARTING_OFFSETS, StreamJobOptions.StartingOffsets.LATEST);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(RunCommand.localFlinkConfig());
        StreamPipeline.of(conf, new VitLabelStage()).build(env);
        JobClient job = env.executeAsync("bench-age");
        List<Map<String, Object>> runs = new ArrayList<>();
        LabelReader ages = new LabelReader(bs, "live-labels", null, false);
        try {
            ages.start();
            // Warm-up: the job starts, loads the model and reaches the end of the (empty) topic.
            publish(bs, streams, 0.3 * capacity, 8.0, "warmup-", scenes);
            for (double load : loads) {
                double rate = load * capacity;
                long phaseStart = System.currentTimeMillis();
                long measureFrom = phaseStart + (long) (seconds * 250);
                long published =
                        publish(bs, streams, rate, seconds, "load" + (int) Math.round(load * 100) + "-", scenes);
                long phaseEnd = System.currentTimeMillis();
                Thread.sleep(3000); // let the last frames of the phase come out
                List<LabelReader.Sample> captured = ages.all();
                List<Long> read = ages(captured, measureFrom, phaseEnd, true);
                List<Long> emit = ages(captured, measureFrom, phaseEnd, false);
                Map<String, Object> run = new LinkedHashMap<>();
                run.put("load", load);
                run.put("framesPerSecond", published / ((phaseEnd - phaseStart) / 1000.0));
                run.put("labels", read.size());
                run.put("ageP50Ms", StatusReporter.percentile(read, 0.50));
                run.put("ageP99Ms", StatusReporter.percentile(read, 0.99));
                run.put("emitAgeP50Ms", StatusReporter.percentile(emit, 0.50));
                run.put("emitAgeP99Ms", StatusReporter.percentile(emit, 0.99));
                runs.add(run);
                out.printf(
                        Locale.ROOT,
                        "load %.0f %% (%.1f frames/s): age p50 %d ms, p99 %d ms (at emit: p50 %d ms, p99 %d ms; %d labels)%n",
                        load * 100,
                        run.get("framesPerSecond"),
                        run.get("ageP50Ms"),
                        run.get("ageP99Ms"),
                        run.get("emitAgeP50Ms"),
                        run.get("emitAgeP99Ms"),
                        read.size());
            }
        } finally {
            ages.close();
            job.cancel().get(30, TimeUnit.SECONDS);
        }
        return runs;
    }

    private static long publish(
            String bs, int streams, double totalFps, double seconds, String prefix, SceneConfig scenes)
            throws Exception {
        FramePublisher.Settings s = new FramePublisher.Settings(
                "live-frames", streams, totalFps / streams, prefix, -1, Duration.ofMillis((long) (seconds * 1000)));
        // Frames are rendered and encoded before the clock starts (the capacity run had no cameras at all).
        PipelineRuns.Cameras cameras = PipelineRuns.preEncoded(scenes, 1, streams);
        try (FramePublisher p = FramePublisher.create(bs, s, cameras.frames())) {
            p.run();
            return p.acknowledged();
        }
    }

    /** Sorted read or emit ages of the labels captured in [from, to]; {-1} when there are none. */
    private static List<Long> ages(List<LabelReader.Sample> samples, long from, long to, boolean read) {
        List<Long> out = new ArrayList<>();
        for (LabelReader.Sample s : samples) {
            if (s.captureTs() >= from && s.captureTs() <= to) {
                out.add(read ? s.readAgeMs() : s.emitAgeMs());
            }
        }
        Collections.sort(out);
        if (out.isEmpty()) {
            out.add(-1L);
        }
        return out;
    }
}
