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
import org.tocomstream.job.testutils.FrameRecords;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.job.testutils.MiniClusters;
import org.tocomstream.job.testutils.TestingLabelStage;
import org.tocomstream.stream.WireFormat;

/**
 * A dead-letter topic that accepts less than the sink's {@code max.request.size}: the check at job
 * start lowers the dead-letter budget to the topic's {@code max.message.bytes}, so a dead letter
 * too large for the topic is written without its value instead of failing the job.
 */
class DeadLetterLimitITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(Map.of("transaction.max.timeout.ms", "60000"));

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.oneTaskManagerTwoSlots();

    private static final int TOPIC_LIMIT = 200_000;
    private static final int BIG = 500 << 10;

    @Test
    void aDeadLetterLargerThanTheTopicAcceptsIsWrittenWithoutItsValueAndTheJobFinishes() throws Exception {
        KAFKA.createTopic("small-frames", 2);
        KAFKA.createTopic("small-labels", 2);
        KAFKA.createTopic("small-dlq", 1, Map.of("max.message.bytes", Integer.toString(TOPIC_LIMIT)));
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int seq = 0; seq < 5; seq++) {
            records.add(frame("small-frames", "cam-0", seq, utf8("frame " + seq)));
        }
        records.add(2, FrameRecords.withoutSeq("small-frames", "cam-1", new byte[BIG]));
        KAFKA.produce(records);

        Configuration conf = conf();
        try (KafkaTopics topics = KafkaTopics.connect(KAFKA.bootstrapServers())) {
            DeadLetterLimit.Result limit = DeadLetterLimit.check(conf, topics);
            assertThat(limit.error()).isEmpty();
            assertThat(limit.warning()).isEmpty();
            assertThat(limit.budget()).isEqualTo(TOPIC_LIMIT);
            limit.applyTo(conf);
        }
        Configuration noRestart = new Configuration();
        noRestart.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noRestart);
        StreamPipeline.of(conf, new TestingLabelStage()).build(env);
        env.execute("small-dlq");

        assertThat(KAFKA.read("small-labels", 5, Duration.ofSeconds(20), Duration.ofMillis(300), true))
                .hasSize(5);
        List<ConsumerRecord<byte[], byte[]>> dead =
                KAFKA.read("small-dlq", 1, Duration.ofSeconds(20), Duration.ofMillis(300), true);
        assertThat(dead).singleElement().satisfies(r -> {
            assertThat(r.value()).isNull();
            assertThat(FrameRecords.text(r.key())).isEqualTo("cam-1");
            assertThat(header(r, WireFormat.ERROR)).isEqualTo("missing header frame-seq");
            assertThat(header(r, WireFormat.ORIGINAL_SIZE)).isEqualTo(Integer.toString(BIG));
            assertThat(header(r, WireFormat.ORIGINAL_TOPIC)).isEqualTo("small-frames");
            assertThat(header(r, WireFormat.ORIGINAL_PARTITION)).isNotNull();
            assertThat(header(r, WireFormat.ORIGINAL_OFFSET)).isNotNull();
        });
    }

    @Test
    void aDeadLetterTopicThatDoesNotExistYetIsSizedByTheBrokersDefault() {
        Configuration conf = new Configuration();
        conf.set(StreamJobOptions.DEAD_LETTER_TOPIC, "not-yet-dlq");
        conf.set(StreamJobOptions.KAFKA_PROPERTIES, Map.of("max.request.size", "4194304"));
        try (KafkaTopics topics = KafkaTopics.connect(KAFKA.bootstrapServers())) {
            DeadLetterLimit.Result limit = DeadLetterLimit.check(conf, topics);

            // Kafka's default message.max.bytes: 1 MiB + 12.
            assertThat(limit.budget()).isEqualTo(1048588);
            assertThat(limit.line())
                    .contains("the broker's message.max.bytes (dead-letter topic 'not-yet-dlq' does not exist yet");
            assertThat(limit.warning()).isEmpty();
        }
    }

    private static Configuration conf() {
        Configuration c = new Configuration();
        c.set(StreamJobOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        c.set(StreamJobOptions.FRAMES_TOPIC, "small-frames");
        c.set(StreamJobOptions.LABELS_TOPIC, "small-labels");
        c.set(StreamJobOptions.DEAD_LETTER_TOPIC, "small-dlq");
        c.set(StreamJobOptions.GROUP_ID, "small");
        c.set(StreamJobOptions.BOUNDED, true);
        c.set(StreamJobOptions.PARALLELISM, 2);
        c.set(StreamJobOptions.DELIVERY_GUARANTEE, DeliveryGuarantee.EXACTLY_ONCE);
        c.set(StreamJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(200));
        c.set(StreamJobOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(30));
        c.set(StreamJobOptions.TRANSACTIONAL_ID_PREFIX, "small");
        return c;
    }
}
