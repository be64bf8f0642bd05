package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.FrameRecords.frame;
import static org.tocomstream.job.testutils.FrameRecords.header;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.job.testutils.FrameRecords;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.job.testutils.MiniClusters;
import org.tocomstream.job.testutils.TestModels;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.WireFormat;

/**
 * A frame whose key (the stream id) is 1.2 MB, within what the broker accepts for the frames
 * topic: its label would repeat the key twice (record key and the JSON's {@code stream}), above
 * the labels sink's {@code max.request.size}, and fail the job on the same frame after every
 * restart. The stream-id cap dead-letters it instead; its dead letter, too large with the key,
 * goes without key and value, and the job labels the other frames and finishes.
 */
class LongStreamIdITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(
            // Frames up to 10 MB reach the job, as on a broker configured for large camera frames.
            Map.of("transaction.max.timeout.ms", "60000", "message.max.bytes", "10485760"));

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.oneTaskManagerTwoSlots();

    private static final int KEY_BYTES = 1_200_000;
    private static final int FRAMES = 6;

    @TempDir
    static Path tmp;

    private static Path modelDir;

    @BeforeAll
    static void model() throws Exception {
        modelDir = TestModels.randomVitDemo(tmp.resolve("model"));
    }

    @Test
    void aFrameWithAHugeStreamIdIsDeadLetteredAndTheJobFinishes() throws Exception {
        KAFKA.createTopic("long-key-frames", 2);
        KAFKA.createTopic("long-key-labels", 2);
        KAFKA.createTopic("long-key-dlq", 1);
        SceneGenerator scenes = SceneGenerator.of(SceneConfig.defaults(), 5);
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int seq = 0; seq < FRAMES; seq++) {
            records.add(frame(
                    "long-key-frames",
                    "cam-0",
                    seq,
                    scenes.camera("cam-0").frame(seq).jpeg(0.9f)));
        }
        char[] longId = new char[KEY_BYTES];
        Arrays.fill(longId, 'k');
        byte[] image = scenes.camera("cam-1").frame(0).jpeg(0.9f);
        records.add(3, frame("long-key-frames", new String(longId), 0, image));
        KAFKA.produce(records, Map.of("max.request.size", 4 << 20));

        Configuration noRestart = new Configuration();
        noRestart.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noRestart);
        StreamPipeline.of(conf(), new VitLabelStage()).build(env);
        env.execute("long-stream-id");

        String position = positionOfTheLongKey();
        List<ConsumerRecord<byte[], byte[]>> labels =
                KAFKA.read("long-key-labels", FRAMES, Duration.ofSeconds(30), Duration.ofMillis(500), true);
        assertThat(labels).hasSize(FRAMES).allSatisfy(r -> {
            assertThat(FrameRecords.text(r.key())).isEqualTo("cam-0");
            assertThat(LabelRecord.fromJson(r.value()).stream()).isEqualTo("cam-0");
        });
        List<ConsumerRecord<byte[], byte[]>> dead =
                KAFKA.read("long-key-dlq", 1, Duration.ofSeconds(20), Duration.ofMillis(500), true);
        assertThat(dead).singleElement().satisfies(r -> {
            assertThat(header(r, WireFormat.ERROR))
                    .isEqualTo(position + ": key (the stream id) is 1200000 bytes, above the cap of 256"
                            + " (vit.decode.max-key-bytes)");
            // With its 1.2 MB key the dead letter is above the sink's 1 MiB: it goes without key and value.
            assertThat(r.key()).isNull();
            assertThat(r.value()).isNull();
            assertThat(header(r, WireFormat.ORIGINAL_SIZE)).isEqualTo(Integer.toString(image.length));
            assertThat(header(r, WireFormat.ORIGINAL_TOPIC) + "-" + header(r, WireFormat.ORIGINAL_PARTITION) + "@"
                            + header(r, WireFormat.ORIGINAL_OFFSET))
                    .isEqualTo(position);
        });
    }

    /** {@code topic-partition@offset} of the frame with the long key. */
    private static String positionOfTheLongKey() {
        List<ConsumerRecord<byte[], byte[]>> frames =
                KAFKA.read("long-key-frames", FRAMES + 1, Duration.ofSeconds(20), Duration.ZERO, false);
        ConsumerRecord<byte[], byte[]> r = frames.stream()
                .filter(f -> f.key().length == KEY_BYTES)
                .findFirst()
                .orElseThrow();
        return r.topic() + "-" + r.partition() + "@" + r.offset();
    }

    private static Configuration conf() {
        Configuration c = new Configuration();
        c.set(StreamJobOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        c.set(StreamJobOptions.FRAMES_TOPIC, "long-key-frames");
        c.set(StreamJobOptions.LABELS_TOPIC, "long-key-labels");
        c.set(StreamJobOptions.DEAD_LETTER_TOPIC, "long-key-dlq");
        c.set(StreamJobOptions.GROUP_ID, "long-key");
        c.set(StreamJobOptions.BOUNDED, true);
        c.set(StreamJobOptions.PARALLELISM, 2);
        c.set(StreamJobOptions.MODEL_DIR, modelDir.toString());
        c.set(StreamJobOptions.DEVICE, "cpu");
        c.set(StreamJobOptions.MAX_BATCH, 4);
        c.set(StreamJobOptions.MAX_DELAY, Duration.ofMillis(20));
        c.set(StreamJobOptions.DELIVERY_GUARANTEE, DeliveryGuarantee.EXACTLY_ONCE);
        c.set(StreamJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(300));
        c.set(StreamJobOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(30));
        c.set(StreamJobOptions.TRANSACTIONAL_ID_PREFIX, "long-key");
        return c;
    }
}
