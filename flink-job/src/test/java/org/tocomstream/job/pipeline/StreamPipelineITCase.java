package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.FrameRecords.frame;
import static org.tocomstream.job.testutils.FrameRecords.header;
import static org.tocomstream.job.testutils.FrameRecords.utf8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tocomstream.job.kafka.KafkaTopics;
import org.tocomstream.job.testutils.FailOnce;
import org.tocomstream.job.testutils.FrameRecords;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.job.testutils.MiniClusters;
import org.tocomstream.job.testutils.TestingLabelStage;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.WireFormat;

/**
 * The Kafka frame of the job (source, sinks, delivery guarantees) with a model-free label stage
 * ({@link TestingLabelStage}), in a MiniCluster against a real KRaft broker.
 */
class StreamPipelineITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(
            // Frames up to 10 MB reach the job, as on a broker configured for large camera frames.
            Map.of("transaction.max.timeout.ms", "60000", "message.max.bytes", "10485760"));

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.oneTaskManagerTwoSlots();

    private static final List<String> STREAMS = List.of("cam-0", "cam-1", "cam-2");

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
        c.set(StreamJobOptions.DELIVERY_GUARANTEE, guarantee);
        c.set(StreamJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(200));
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

    private static List<ProducerRecord<byte[], byte[]>> frames(String topic, int perStream) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int seq = 0; seq < perStream; seq++) {
            for (String s : STREAMS) {
                records.add(frame(topic, s, seq, utf8("frame " + s + "/" + seq)));
            }
        }
        return records;
    }

    @Test
    void atLeastOnceWithoutFailuresLabelsEveryFrameOnceInOrderAndDeadLettersTheBadOnes() throws Exception {
        Configuration conf = conf("alo", DeliveryGuarantee.AT_LEAST_ONCE);
        List<ProducerRecord<byte[], byte[]>> records = frames("alo-frames", 20);
        records.add(7, FrameRecords.withoutSeq("alo-frames", "cam-1", utf8("no seq")));
        records.add(20, frame("alo-frames", "cam-2", 99, new byte[0]));
        KAFKA.produce(records);

        StreamExecutionEnvironment env = env();
        StreamPipeline.of(conf, new TestingLabelStage()).build(env);
        env.execute("alo");

        List<ConsumerRecord<byte[], byte[]>> labels =
                KAFKA.read("alo-labels", 60, Duration.ofSeconds(30), Duration.ofMillis(500), false);
        FrameRecords.assertExactlyOnceInOrder(labels, STREAMS, 20);
        assertThat(LabelRecord.fromJson(labels.get(0).value()).labels().get(0).label())
                .startsWith("len=");

        List<ConsumerRecord<byte[], byte[]>> dead =
                KAFKA.read("alo-dlq", 2, Duration.ofSeconds(30), Duration.ofMillis(300), false);
        assertThat(dead).hasSize(2);
        assertThat(dead)
                .extracting(r -> header(r, WireFormat.ERROR))
                .containsExactlyInAnyOrder("missing header frame-seq", "empty value");
        ConsumerRecord<byte[], byte[]> noSeq = dead.stream()
                .filter(r -> header(r, "x-test") != null)
                .findFirst()
                .orElseThrow();
        assertThat(FrameRecords.text(noSeq.key())).isEqualTo("cam-1");
        assertThat(noSeq.value()).isEqualTo(utf8("no seq"));
    }

    @Test
    void aValueTooLargeForTheDeadLetterSinkIsDeadLetteredWithoutItAndTheJobGoesOn() throws Exception {
        Configuration conf = conf("big", DeliveryGuarantee.AT_LEAST_ONCE);
        List<ProducerRecord<byte[], byte[]>> records = frames("big-frames", 5);
        records.add(4, FrameRecords.withoutSeq("big-frames", "cam-1", new byte[2 << 20]));
        KAFKA.produce(records, Map.of("max.request.size", 4 << 20));

        Configuration noRestart = new Configuration();
        noRestart.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noRestart);
        StreamPipeline.of(conf, new TestingLabelStage()).build(env);
        env.execute("big");

        FrameRecords.assertExactlyOnceInOrder(
                KAFKA.read("big-labels", 15, Duration.ofSeconds(20), Duration.ofMillis(300), false), STREAMS, 5);
        List<ConsumerRecord<byte[], byte[]>> dead =
                KAFKA.read("big-dlq", 1, Duration.ofSeconds(20), Duration.ofMillis(300), false);
        assertThat(dead).singleElement().satisfies(r -> {
            assertThat(r.value()).isNull();
            assertThat(FrameRecords.text(r.key())).isEqualTo("cam-1");
            assertThat(header(r, WireFormat.ERROR)).isEqualTo("missing header frame-seq");
            assertThat(header(r, WireFormat.ORIGINAL_SIZE)).isEqualTo(Integer.toString(2 << 20));
            assertThat(header(r, WireFormat.ORIGINAL_TOPIC)).isEqualTo("big-frames");
            assertThat(header(r, WireFormat.ORIGINAL_PARTITION)).isNotNull();
            assertThat(header(r, WireFormat.ORIGINAL_OFFSET)).isNotNull();
            assertThat(header(r, "x-test")).isEqualTo("missing-seq");
        });
    }

    @Test
    void exactlyOnceTimeoutIsCheckedAgainstTheBrokerCap() {
        Configuration conf = new Configuration();
        conf.set(StreamJobOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        try (KafkaTopics topics = KafkaTopics.connect(KAFKA.bootstrapServers())) {
            assertThat(DeliveryCheck.check(conf, topics).error())
                    .as("at-least-once: nothing to check")
                    .isEmpty();

            conf.set(StreamJobOptions.DELIVERY_GUARANTEE, DeliveryGuarantee.EXACTLY_ONCE);
            conf.set(StreamJobOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(60));
            assertThat(DeliveryCheck.check(conf, topics).error()).isEmpty();

            conf.set(StreamJobOptions.TRANSACTION_TIMEOUT, Duration.ofMinutes(2));
            assertThat(DeliveryCheck.check(conf, topics).error())
                    .hasValueSatisfying(
                            e -> assertThat(e)
                                    .startsWith(
                                            "kafka.transaction-timeout is 120000 ms but the broker's transaction.max.timeout.ms is 60000 ms"));
        }
    }

    @Test
    void exactlyOnceSurvivesAnInjectedFailure() throws Exception {
        Configuration conf = conf("eo", DeliveryGuarantee.EXACTLY_ONCE);
        int perStream = 40;
        KAFKA.produce(frames("eo-frames", perStream));
        FailOnce.reset();

        StreamExecutionEnvironment env = env();
        StreamPipeline.of(conf, new TestingLabelStage())
                .withBeforeLabelSink(
                        labels -> labels.map(new FailOnce<>(15, 10)).name("fail-once"))
                .build(env);
        env.execute("eo");

        assertThat(FailOnce.failed()).as("the injected failure happened").isTrue();
        List<ConsumerRecord<byte[], byte[]>> committed = KAFKA.read(
                "eo-labels", STREAMS.size() * perStream, Duration.ofSeconds(30), Duration.ofSeconds(1), true);
        FrameRecords.assertExactlyOnceInOrder(committed, STREAMS, perStream);
        // The uncommitted attempt did write: read_uncommitted sees duplicates that read_committed hides.
        List<ConsumerRecord<byte[], byte[]>> all =
                KAFKA.read("eo-labels", STREAMS.size() * perStream + 1, Duration.ofSeconds(5), Duration.ZERO, false);
        assertThat(all.size()).isGreaterThanOrEqualTo(committed.size());
    }
}
