package org.tocomstream.job.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.job.kafka.FramePublisher;
import org.tocomstream.job.kafka.KafkaTopics;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.pipeline.StreamPipeline;
import org.tocomstream.job.pipeline.VitLabelStage;
import org.tocomstream.stream.LabelRecord;

/**
 * What the in-process pipeline measurements ({@code bench-pipeline}, {@code loadtest}) share: the
 * job's settings for a topic prefix, {@code read_committed} readers, the capacity run, and cameras
 * that send pre-encoded frames.
 */
public final class PipelineRuns {

    /**
     * Pre-encoded frames the cameras cycle through: with four cameras 512 consecutive frames each,
     * 16 objects a camera (a segment is 32 frames), 64 in all, which is what the delivered top-1 of
     * a {@code loadtest} is scored over. 256 frames were 8 objects, so one object a level got wrong
     * moved that level's delivered top-1 by 12 points. About 40 MB at 320-px JPEG.
     */
    static final int POOL = 2048;

    private PipelineRuns() {}

    /** The job's labels/s over a pre-filled topic, and what the labels say about its batches. */
    public record Capacity(
            double labelsPerSecond, int labels, double meanBatch, double forwardMsPerBatch, double modelBusy) {}

    /** What {@link Cameras#truth()} holds for each pooled frame. */
    public static final String TRUTH_SCENE_CLASS = "scene class";

    /** For video cameras: the plain model's (level {@code none}) top-1 on the frame's bytes. */
    public static final String TRUTH_PLAIN_TOP1 = "plain-model top-1";

    /** Which pooled frame frame {@code seq} of stream index {@code stream} is. */
    @FunctionalInterface
    public interface PoolIndex {
        int of(int stream, long seq);
    }

    /**
     * Frames that cost only the Kafka send, and the reference label of each pooled frame.
     *
     * @param truth per pooled frame, the label a delivered label is scored against (its kind:
     *     {@code truthKind}); null entries are not scored
     * @param index which pooled frame a (stream, seq) is
     * @param truthKind {@link #TRUTH_SCENE_CLASS} (the generator's class: top-1) or {@link
     *     #TRUTH_PLAIN_TOP1} (video: agreement with full computation)
     */
    public record Cameras(
            FramePublisher.FrameSupplier frames, String[] truth, int streams, PoolIndex index, String truthKind) {

        /** The synthetic cameras' layout: pool frame {@code (seq * streams + stream) % pool}, scored by scene class. */
        public Cameras(FramePublisher.FrameSupplier frames, String[] truth, int streams) {
            this(
                    frames,
                    truth,
                    streams,
                    (stream, seq) -> (int) ((seq * streams + stream) % truth.length),
                    TRUTH_SCENE_CLASS);
        }

        /** The reference label of frame {@code seq} of stream index {@code stream}. */
        public String truthOf(int stream, long seq) {
            return truth[index.of(stream, seq)];
        }

        /** The same cameras scored against {@code labels} of kind {@code kind}, one per pooled frame. */
        public Cameras withTruth(String[] labels, String kind) {
            return new Cameras(frames, labels, streams, index, kind);
        }
    }

    /**
     * The streaming job's settings for topics {@code prefix-frames}, {@code prefix-labels} and
     * {@code prefix-dlq}: fixed {@code level}, parallelism 1, CPU, a fresh consumer group.
     */
    public static Configuration jobConf(
            String bs, Path modelDir, String level, int batch, int maxDelayMs, String prefix) {
        Configuration c = new Configuration();
        c.set(StreamJobOptions.BOOTSTRAP_SERVERS, bs);
        c.set(StreamJobOptions.FRAMES_TOPIC, prefix + "-frames");
        c.set(StreamJobOptions.LABELS_TOPIC, prefix + "-labels");
        c.set(StreamJobOptions.DEAD_LETTER_TOPIC, prefix + "-dlq");
        c.set(StreamJobOptions.GROUP_ID, prefix + "-" + UUID.randomUUID());
        c.set(StreamJobOptions.MODEL_DIR, modelDir.toString());
        c.set(StreamJobOptions.DEVICE, "cpu");
        c.set(StreamJobOptions.LEVEL, level);
        c.set(StreamJobOptions.MAX_BATCH, batch);
        c.set(StreamJobOptions.MAX_DELAY, Duration.ofMillis(maxDelayMs));
        c.set(StreamJobOptions.PARALLELISM, 1);
        return c;
    }

    /** Creates the three topics of {@code conf} with {@code partitions} partitions (frames, labels; one for dead letters). */
    public static void createTopics(String bs, Configuration conf, int partitions) {
        try (KafkaTopics topics = KafkaTopics.connect(bs)) {
            topics.ensure(Map.of(
                    conf.get(StreamJobOptions.FRAMES_TOPIC),
                    partitions,
                    conf.get(StreamJobOptions.LABELS_TOPIC),
                    partitions,
                    conf.get(StreamJobOptions.DEAD_LETTER_TOPIC),
                    1));
        }
    }

    /**
     * Capacity: {@code fill} frames written to the frames topic of {@code conf} first, then the
     * whole job reads them as a bounded job; labels/s between the labels written at 10 % and at
     * 100 % of the frames (record timestamps), so start-up is excluded.
     */
    public static Capacity measureCapacity(
            String bs, Configuration conf, FramePublisher.Settings fill, FramePublisher.FrameSupplier frames)
            throws Exception {
        if (!fill.topic().equals(conf.get(StreamJobOptions.FRAMES_TOPIC))) {
            throw new IllegalArgumentException("fill.topic must be the job's frames topic");
        }
        createTopics(bs, conf, 2);
        long expected;
        try (FramePublisher p = FramePublisher.create(bs, fill, frames)) {
            p.run();
            expected = p.acknowledged();
        }
        Configuration bounded = new Configuration(conf);
        bounded.set(StreamJobOptions.BOUNDED, true);
        bounded.set(StreamJobOptions.STARTING_OFFSETS, StreamJobOptions.StartingOffsets.EARLIEST);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.getExecutionEnvironment(RunCommand.localFlinkConfig());
        StreamPipeline.of(bounded, new VitLabelStage()).build(env);
        env.execute("capacity");
        List<ConsumerRecord<byte[], byte[]>> labels =
                readAll(bs, conf.get(StreamJobOptions.LABELS_TOPIC), (int) expected, Duration.ofSeconds(60));
        if (labels.size() < 10) {
            throw new IllegalStateException(
                    "the capacity run labelled only " + labels.size() + " of " + expected + " frames");
        }
        labels.sort(Comparator.comparingLong(ConsumerRecord::timestamp));
        int from = labels.size() / 10;
        long spanMs = Math.max(
                1, labels.get(labels.size() - 1).timestamp() - labels.get(from).timestamp());
        double capacity = (labels.size() - 1 - from) * 1000.0 / spanMs;
        // Over the labels after the first one of the window: frame-weighted mean batch size,
        // forward-pass time per frame, and the share of the window the model was running.
        double batchSizeSum = 0;
        double inferenceMsPerFrameSum = 0;
        for (ConsumerRecord<byte[], byte[]> r : labels.subList(from + 1, labels.size())) {
            LabelRecord l = LabelRecord.fromJson(r.value());
            batchSizeSum += l.batchSize();
            inferenceMsPerFrameSum += l.inferenceMs() / l.batchSize();
        }
        int counted = labels.size() - from - 1;
        double meanBatch = batchSizeSum / counted;
        return new Capacity(
                capacity,
                labels.size(),
                meanBatch,
                inferenceMsPerFrameSum / counted * meanBatch,
                inferenceMsPerFrameSum / spanMs);
    }

    /**
     * {@value #POOL} frames of {@code streams} synthetic cameras, rendered and encoded now, so that
     * during a run the cameras cost only the Kafka send, as real cameras would.
     */
    public static Cameras preEncoded(SceneConfig scenes, long seed, int streams) {
        FramePublisher.Settings s = new FramePublisher.Settings("unused", streams, 0, "cam-", -1, null);
        GeneratedFrames render = new GeneratedFrames(scenes, seed, s, false);
        FramePublisher.Encoded[] pool = new FramePublisher.Encoded[POOL];
        String[] truth = new String[POOL];
        for (int i = 0; i < POOL; i++) {
            pool[i] = render.next(i % streams, i / streams);
            truth[i] = render.labelAt(s.streamId(i % streams), i / streams);
        }
        return new Cameras((stream, seq) -> pool[(int) ((seq * streams + stream) % POOL)], truth, streams);
    }

    /** Reads {@code topic} from the beginning until {@code expected} records or the timeout. */
    static List<ConsumerRecord<byte[], byte[]>> readAll(String bs, String topic, int expected, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer(bs)) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(topic).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /** A {@code read_committed} byte-array consumer of a fresh group, no offset commits. */
    static KafkaConsumer<byte[], byte[]> consumer(String bs) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    /** {@code "2 cores, load average 0.42 at start"}. */
    public static String machine() {
        String load;
        try {
            load = Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
        } catch (IOException | RuntimeException e) {
            load = "?";
        }
        return Runtime.getRuntime().availableProcessors() + " cores, load average " + load + " at start";
    }
}
