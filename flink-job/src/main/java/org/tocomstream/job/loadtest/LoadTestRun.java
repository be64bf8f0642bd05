package org.tocomstream.job.loadtest;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.Producer;
import org.tocomstream.control.Ladder;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.kafka.FramePublisher;
import org.tocomstream.job.kafka.KafkaTopics;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.pipeline.StreamPipeline;
import org.tocomstream.job.pipeline.VitLabelStage;
import org.tocomstream.job.run.LabelReader;
import org.tocomstream.job.run.PipelineRuns;
import org.tocomstream.job.run.RunCommand;
import org.tocomstream.job.run.StatusReporter;

/**
 * One policy of {@code loadtest}: the job on fresh topics, a warm-up, the cameras through the
 * phases of the rate profile, and a drain until every frame has an output (or the job stops
 * making progress). Prints a progress line a second; returns what it saw.
 *
 * <p>Each phase's frames carry their own stream ids ({@code p2-cam-0} is stream 0 in phase 2,
 * {@code warmup-cam-0} a warm-up frame), so every output is attributed to the phase its frame was
 * captured in and (stream, seq) identifies a frame across the run.
 */
public final class LoadTestRun {

    /** Stream-id prefix of the warm-up frames. */
    static final String WARMUP_PREFIX = "warmup-cam-";

    /** Share of the capacity the warm-up publishes at. */
    private static final double WARMUP_LOAD = 0.1;

    private static final Duration FIRST_LABEL_TIMEOUT = Duration.ofSeconds(180);

    /** Stream-id prefix of the frames of phase {@code phase} (1-based). */
    static String phasePrefix(int phase) {
        return "p" + phase + "-cam-";
    }

    /**
     * What one policy's run saw. Times are epoch ms; {@code t0} is the start of phase 1.
     *
     * @param producedPerSecond frames handed to the producer in second {@code i} after {@code t0}
     * @param producedBefore frames handed to the producer before {@code t0} (the warm-up)
     * @param producedPerPhase frames of each phase, index 0 = phase 1
     * @param framesTopicRecords records in the frames topic at the end (end offsets)
     * @param drained every frame had an output when the run stopped waiting
     * @param ladderName the ladder's name in a comparison ({@code --ladders}), else null
     */
    record Result(
            LoadTestPolicy policy,
            String ladderName,
            String settings,
            long t0,
            long[] phaseStart,
            long[] phaseEnd,
            long producedBefore,
            long[] producedPerPhase,
            long[] producedPerSecond,
            long framesTopicRecords,
            long end,
            boolean drained,
            List<LabelReader.Sample> samples) {

        long produced() {
            return producedBefore + Arrays.stream(producedPerPhase).sum();
        }

        /** The policy's id, with the ladder's name in a comparison: {@code adaptive[measured]}. */
        String id() {
            return ladderName == null ? policy.id() : policy.id() + "[" + ladderName + "]";
        }

        /** The id as file names carry it: {@code adaptive-measured}. */
        String fileId() {
            return ladderName == null ? policy.id() : policy.id() + "-" + ladderName;
        }
    }

    private final String bs;
    private final LoadTestSettings settings;
    private final PipelineRuns.Cameras cameras;
    private final PrintStream out;

    private final String topicTag;

    LoadTestRun(String bs, LoadTestSettings settings, PipelineRuns.Cameras cameras, PrintStream out) {
        this(bs, settings, cameras, out, "");
    }

    /** A runner whose jobs use topics {@code lt-<topicTag><policy id>-*}, apart from other runs'. */
    LoadTestRun(String bs, LoadTestSettings settings, PipelineRuns.Cameras cameras, PrintStream out, String topicTag) {
        this.bs = bs;
        this.settings = settings;
        this.cameras = cameras;
        this.out = out;
        this.topicTag = topicTag;
    }

    /** One policy over {@code ladder}; {@code ladderName} names it in a comparison, else null. */
    Result run(LoadTestPolicy policy, Ladder ladder, String ladderName) throws Exception {
        Configuration conf = policy.jobConf(settings, ladder, bs, "lt-" + topicTag + policy.id());
        PipelineRuns.createTopics(bs, conf, 2);
        String framesTopic = conf.get(StreamJobOptions.FRAMES_TOPIC);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(RunCommand.localFlinkConfig());
        StreamPipeline.of(conf, new VitLabelStage()).build(env);
        JobClient job = env.executeAsync("loadtest-" + policy.id());
        int phases = settings.phases().size();
        long[] phaseStart = new long[phases];
        long[] phaseEnd = new long[phases];
        long[] perPhase = new long[phases];
        LoadTestCounts counts = new LoadTestCounts();
        Producer<byte[], byte[]> producer = FramePublisher.producer(bs, Map.of());
        try (LabelReader reader = new LabelReader(
                        bs,
                        conf.get(StreamJobOptions.LABELS_TOPIC),
                        conf.get(StreamJobOptions.DEAD_LETTER_TOPIC),
                        true);
                Progress progress = new Progress(
                        ladderName == null ? policy.id() : policy.id() + "[" + ladderName + "]",
                        reader,
                        counts,
                        phaseStart,
                        phaseEnd)) {
            reader.start();
            progress.start();
            warmUp(producer, framesTopic, counts, reader, job);
            long t0 = System.currentTimeMillis();
            counts.startAt(t0);
            for (int i = 0; i < phases; i++) {
                double fps = settings.phases().get(i) * settings.capacity() / settings.streams();
                FramePublisher.Settings s = new FramePublisher.Settings(
                        framesTopic,
                        settings.streams(),
                        fps,
                        phasePrefix(i + 1),
                        -1,
                        Duration.ofMillis(Math.round(settings.phaseSeconds() * 1000)));
                int phase = i;
                FramePublisher.FrameSupplier counted = (stream, seq) -> {
                    counts.add(System.currentTimeMillis());
                    perPhase[phase]++;
                    return cameras.frames().next(stream, seq);
                };
                phaseStart[i] = System.currentTimeMillis();
                new FramePublisher(producer, s, counted).run(); // not closed: it would close the shared producer
                phaseEnd[i] = System.currentTimeMillis();
            }
            long produced = counts.total();
            boolean drained = drain(reader, produced, job);
            long end = System.currentTimeMillis();
            long topicRecords;
            try (KafkaTopics topics = KafkaTopics.connect(bs)) {
                topicRecords = topics.endOffsetSum(framesTopic);
            }
            progress.close();
            return new Result(
                    policy,
                    ladderName,
                    policy.describe(settings, ladder),
                    t0,
                    phaseStart,
                    phaseEnd,
                    counts.before(),
                    perPhase,
                    counts.perSecond(),
                    topicRecords,
                    end,
                    drained,
                    reader.all());
        } finally {
            producer.close(Duration.ofSeconds(10));
            cancel(job);
        }
    }

    /**
     * A trickle of frames until the job labels them, then until it has caught up, so that phase 1
     * starts with an empty queue; fails when no label comes.
     */
    private void warmUp(
            Producer<byte[], byte[]> producer, String topic, LoadTestCounts counts, LabelReader reader, JobClient job)
            throws Exception {
        double fps = Math.max(1, WARMUP_LOAD * settings.capacity()) / settings.streams();
        FramePublisher.Settings s =
                new FramePublisher.Settings(topic, settings.streams(), fps, WARMUP_PREFIX, -1, null);
        FramePublisher warm = new FramePublisher(producer, s, (stream, seq) -> {
            counts.add(System.currentTimeMillis());
            return cameras.frames().next(stream, seq);
        });
        Thread t = new Thread(
                () -> {
                    try {
                        warm.run();
                    } catch (Exception e) {
                        out.println("loadtest: warm-up cameras stopped: " + Cli.describe(e));
                    }
                },
                "loadtest-warmup");
        t.setDaemon(true);
        t.start();
        long deadline = System.nanoTime() + FIRST_LABEL_TIMEOUT.toNanos();
        long firstLabel = 0;
        try {
            while (true) {
                checkAlive(reader, job);
                if (System.nanoTime() > deadline) {
                    throw new CommandFailedException(
                            "no label within " + FIRST_LABEL_TIMEOUT.toSeconds() + " s of the job's start");
                }
                if (firstLabel == 0 && reader.count() > 0) {
                    firstLabel = System.nanoTime();
                }
                // Caught up: at most half a second of warm-up frames without an output, 1 s after the first label.
                if (firstLabel != 0
                        && System.nanoTime() - firstLabel > 1_000_000_000L
                        && counts.total() - reader.count() <= Math.max(1, fps * settings.streams() / 2)) {
                    break;
                }
                Thread.sleep(100);
            }
        } finally {
            warm.stop();
            t.join(10_000);
        }
        long wait = System.nanoTime() + 10_000_000_000L;
        while (reader.count() < counts.total() && System.nanoTime() < wait) {
            Thread.sleep(50);
        }
    }

    /** Waits until every produced frame has an output, or until none came for the idle time; true when all came. */
    private boolean drain(LabelReader reader, long produced, JobClient job) throws Exception {
        long idleLimit = settings.drainIdle().toNanos();
        long lastProgress = System.nanoTime();
        int last = reader.count();
        while (reader.count() < produced) {
            checkAlive(reader, job);
            int n = reader.count();
            if (n > last) {
                last = n;
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > idleLimit) {
                out.printf(
                        Locale.ROOT,
                        "loadtest: %s: no output for %d s with %d of %d frames accounted for; stopping%n",
                        job.getJobID(),
                        settings.drainIdle().toSeconds(),
                        n,
                        produced);
                return false;
            }
            Thread.sleep(100);
        }
        Thread.sleep(500); // a duplicate or late dead letter would still be counted
        return true;
    }

    private static void checkAlive(LabelReader reader, JobClient job) throws CommandFailedException {
        if (reader.failure() != null) {
            throw new CommandFailedException(
                    "reading the labels failed: " + Cli.describe(reader.failure()), reader.failure());
        }
        if (job.getJobExecutionResult().isDone()) {
            try {
                job.getJobExecutionResult().get();
                throw new CommandFailedException("the job ended early");
            } catch (Exception e) {
                if (e instanceof CommandFailedException) {
                    throw (CommandFailedException) e;
                }
                throw new CommandFailedException("the job failed: " + Cli.describe(e), e);
            }
        }
    }

    private static void cancel(JobClient job) {
        try {
            if (!job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                job.cancel().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            // Already gone.
        }
    }

    /** The progress line, once a second. */
    private final class Progress implements AutoCloseable {
        private final String policy;
        private final LabelReader reader;
        private final LoadTestCounts counts;
        private final long[] phaseStart;
        private final long[] phaseEnd;
        private final Thread thread;
        private volatile boolean stopped;

        Progress(String policy, LabelReader reader, LoadTestCounts counts, long[] phaseStart, long[] phaseEnd) {
            this.policy = policy;
            this.reader = reader;
            this.counts = counts;
            this.phaseStart = phaseStart;
            this.phaseEnd = phaseEnd;
            this.thread = new Thread(this::loop, "loadtest-progress");
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void loop() {
            long begin = System.currentTimeMillis();
            int seen = 0;
            long lastProduced = 0;
            String level = "-";
            while (!stopped) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                List<LabelReader.Sample> fresh = reader.since(seen);
                seen += fresh.size();
                long produced = counts.total();
                List<Long> ages = new ArrayList<>();
                int skipped = 0;
                for (LabelReader.Sample s : fresh) {
                    if (s.labelled()) {
                        ages.add(s.readAgeMs());
                        level = s.level();
                    } else if (s.skipped()) {
                        skipped++;
                    }
                }
                ages.sort(null);
                out.printf(
                        Locale.ROOT,
                        "[%-13s %4d s] %-14s | in %6.1f/s | out %6.1f/s | skipped %4d | age p99 %s | level %-8s | backlog %d%n",
                        policy,
                        (System.currentTimeMillis() - begin) / 1000,
                        phase(),
                        (double) (produced - lastProduced),
                        (double) (fresh.size() - skipped),
                        skipped,
                        ages.isEmpty()
                                ? "     -"
                                : String.format(Locale.ROOT, "%6d ms", StatusReporter.percentile(ages, 0.99)),
                        level,
                        produced - seen);
                lastProduced = produced;
            }
        }

        private String phase() {
            int n = phaseStart.length;
            if (phaseStart[0] == 0) {
                return "warm-up";
            }
            for (int i = n - 1; i >= 0; i--) {
                if (phaseStart[i] != 0) {
                    return phaseEnd[i] != 0 && i == n - 1
                            ? "drain"
                            : String.format(
                                    Locale.ROOT,
                                    "phase %d/%d %sx",
                                    i + 1,
                                    n,
                                    LoadTestSettings.format(settings.phases().get(i)));
                }
            }
            return "";
        }

        @Override
        public void close() {
            stopped = true;
            thread.interrupt();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
