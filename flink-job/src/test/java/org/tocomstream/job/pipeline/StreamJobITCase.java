package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.FrameRecords.frame;
import static org.tocomstream.job.testutils.FrameRecords.header;
import static org.tocomstream.job.testutils.FrameRecords.text;
import static org.tocomstream.job.testutils.FrameRecords.utf8;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compensate.CompensatorConfig;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.data.SyntheticCamera;
import org.tocomstream.job.testutils.FailOnce;
import org.tocomstream.job.testutils.FrameRecords;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.job.testutils.MiniClusters;
import org.tocomstream.job.testutils.TestModels;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.WireFormat;

/**
 * The whole job, as {@code StreamJob} builds it (Kafka source, decode, batching ViT inference,
 * Kafka sinks), in a MiniCluster against a real KRaft broker, with a {@code vit_demo} model of
 * random weights: every good frame gets exactly one well-formed label in per-stream order, every
 * bad frame exactly one dead letter with an error header; with exactly-once, a failure injected
 * after a checkpoint leaves the read_committed labels with every frame exactly once.
 */
class StreamJobITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(Map.of("transaction.max.timeout.ms", "60000"));

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.oneTaskManagerTwoSlots();

    private static final List<String> STREAMS = List.of("cam-0", "cam-1", "cam-2");

    @TempDir
    static Path tmp;

    private static Path modelDir;
    private static List<String> modelLabels;

    @BeforeAll
    static void model() throws Exception {
        modelDir = TestModels.randomVitDemo(tmp.resolve("model"));
        modelLabels = ModelSpec.read(modelDir).labels();
        // Its own Token Compensator (a fresh one: zero up projections, so it changes no logit),
        // which the job applies by default (vit.model.compensator = auto) at ToMe levels.
        TokenCompensator.initial(
                        ModelSpec.read(modelDir).architecture(),
                        TokenCompensator.weightsSha256(modelDir),
                        new CompensatorConfig(2, 6, 0.1),
                        0)
                .save(modelDir.resolve(TokenCompensator.FILE_NAME));
    }

    private static Configuration conf(String prefix, DeliveryGuarantee guarantee) {
        KAFKA.createTopic(prefix + "-frames", 2);
        KAFKA.createTopic(prefix + "-labels", 2);
        KAFKA.createTopic(prefix + "-dlq", 1);
        Configuration c = new Configuration();
        c.set(StreamJobOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        c.set(StreamJobOptions.FRAMES_TOPIC, prefix + "-frames");
        c.set(StreamJobOptions.LABELS_TOPIC, prefix + "-labels");
        c.set(StreamJobOptions.DEAD_LETTER_TOPIC, prefix + "-dlq");
        c.set(StreamJobOptions.GROUP_ID, prefix);
        c.set(StreamJobOptions.BOUNDED, true);
        c.set(StreamJobOptions.PARALLELISM, 2);
        c.set(StreamJobOptions.MODEL_DIR, modelDir.toString());
        c.set(StreamJobOptions.DEVICE, "cpu");
        c.set(StreamJobOptions.MAX_BATCH, 4);
        c.set(StreamJobOptions.MAX_DELAY, Duration.ofMillis(20));
        c.set(StreamJobOptions.DELIVERY_GUARANTEE, guarantee);
        c.set(StreamJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300));
        c.set(StreamJobOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(30));
        c.set(StreamJobOptions.TRANSACTIONAL_ID_PREFIX, prefix);
        return c;
    }

    private static StreamExecutionEnvironment env() {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(100));
        return StreamExecutionEnvironment.getExecutionEnvironment(c);
    }

    /** JPEG frames of synthetic cameras, streams interleaved; capture times remembered. */
    private static List<ProducerRecord<byte[], byte[]>> cameraFrames(
            String topic, int perStream, Map<String, Long> captureTs) {
        SceneGenerator scenes = SceneGenerator.of(SceneConfig.defaults(), 5);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int seq = 0; seq < perStream; seq++) {
            for (String s : STREAMS) {
                SyntheticCamera cam = scenes.camera(s);
                ProducerRecord<byte[], byte[]> r =
                        frame(topic, s, seq, cam.frame(seq).jpeg(0.9f));
                captureTs.put(s + "#" + seq, r.timestamp());
                records.add(r);
            }
        }
        return records;
    }

    @Test
    void everyFrameIsLabelledOnceInOrderAndBadFramesAreDeadLettered() throws Exception {
        Configuration conf = conf("job", DeliveryGuarantee.AT_LEAST_ONCE);
        Map<String, Long> captureTs = new HashMap<>();
        List<ProducerRecord<byte[], byte[]>> records = cameraFrames("job-frames", 20, captureTs);
        records.add(5, frame("job-frames", "cam-1", 500, utf8("garbage, not an image")));
        records.add(
                17,
                FrameRecords.withoutSeq("job-frames", "cam-2", records.get(0).value()));
        records.add(31, frame("job-frames", "cam-0", 501, new byte[0]));
        KAFKA.produce(records);

        StreamExecutionEnvironment env = env();
        StreamPipeline.of(conf, new VitLabelStage()).build(env);
        env.execute("job");

        List<ConsumerRecord<byte[], byte[]>> labels =
                KAFKA.read("job-labels", 60, Duration.ofSeconds(60), Duration.ofMillis(500), false);
        FrameRecords.assertExactlyOnceInOrder(labels, STREAMS, 20);
        for (ConsumerRecord<byte[], byte[]> r : labels) {
            LabelRecord l = LabelRecord.fromJson(r.value());
            assertThat(l.labels()).hasSize(5);
            assertThat(l.labels())
                    .extracting(LabelRecord.Label::label)
                    .doesNotHaveDuplicates()
                    .isSubsetOf(modelLabels);
            assertThat(l.labels())
                    .extracting(LabelRecord.Label::score)
                    .allSatisfy(p -> assertThat(p).isBetween(0.0, 1.0))
                    .isSortedAccordingTo((a, b) -> Double.compare(b, a));
            assertThat(l.labels().stream().mapToDouble(LabelRecord.Label::score).sum())
                    .isLessThanOrEqualTo(1.0 + 1e-6);
            assertThat(l.level().method()).isEqualTo("none");
            assertThat(l.level().compensator())
                    .as("level none is the model's own degree: no pair")
                    .isNull();
            assertThat(l.model()).startsWith("vit_demo");
            assertThat(l.batchSize()).isBetween(1, 4);
            assertThat(l.inferenceMs()).isPositive();
            assertThat(l.ageMs()).isNotNegative();
            assertThat(l.captureTs()).isEqualTo(captureTs.get(l.stream() + "#" + l.seq()));
        }

        List<ConsumerRecord<byte[], byte[]>> dead =
                KAFKA.read("job-dlq", 3, Duration.ofSeconds(30), Duration.ofMillis(500), false);
        assertThat(dead).hasSize(3);
        assertThat(dead).allSatisfy(d -> assertThat(header(d, WireFormat.ERROR)).isNotBlank());
        Map<String, ConsumerRecord<byte[], byte[]>> byKind = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> d : dead) {
            String seq = header(d, WireFormat.FRAME_SEQ);
            byKind.put(seq == null ? "no-seq" : seq, d);
        }
        assertThat(byKind).containsOnlyKeys("500", "501", "no-seq");
        assertThat(text(byKind.get("500").value())).isEqualTo("garbage, not an image");
        assertThat(text(byKind.get("500").key())).isEqualTo("cam-1");
        assertThat(byKind.get("501").value()).isEmpty();
        assertThat(header(byKind.get("no-seq"), "x-test")).isEqualTo("missing-seq");
        assertThat(header(byKind.get("no-seq"), WireFormat.ERROR)).contains(WireFormat.FRAME_SEQ);
    }

    @Test
    void exactlyOnceLeavesEveryFrameLabelledOnceAfterAnInjectedFailure() throws Exception {
        Configuration conf = conf("jobeo", DeliveryGuarantee.EXACTLY_ONCE);
        conf.set(StreamJobOptions.LEVEL, "tome:4");
        int perStream = 30;
        KAFKA.produce(cameraFrames("jobeo-frames", perStream, new HashMap<>()));
        FailOnce.reset();

        StreamExecutionEnvironment env = env();
        StreamPipeline.of(conf, new VitLabelStage())
                .withBeforeLabelSink(
                        labels -> labels.map(new FailOnce<>(10, 20)).name("fail-once"))
                .build(env);
        env.execute("jobeo");

        assertThat(FailOnce.failed()).as("the injected failure happened").isTrue();
        List<ConsumerRecord<byte[], byte[]>> committed = KAFKA.read(
                "jobeo-labels", STREAMS.size() * perStream, Duration.ofSeconds(60), Duration.ofSeconds(1), true);
        FrameRecords.assertExactlyOnceInOrder(committed, STREAMS, perStream);
        assertThat(committed)
                .extracting(r -> LabelRecord.fromJson(r.value()).level().schedule())
                .containsOnly("tome:4");
        assertThat(committed)
                .extracting(r -> LabelRecord.fromJson(r.value()).level().compensator())
                .as("every label at tome:4 records the model's plugin applied as the pair 0->4")
                .containsOnly("0->4");
    }
}
