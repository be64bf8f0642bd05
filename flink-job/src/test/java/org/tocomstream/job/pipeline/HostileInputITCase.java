package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.FrameRecords.header;
import static org.tocomstream.job.testutils.FrameRecords.text;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
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
import org.tocomstream.job.run.FrameAudit;
import org.tocomstream.job.run.HostileFrames;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.job.testutils.MiniClusters;
import org.tocomstream.job.testutils.TestModels;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.WireFormat;

/**
 * The short, in-process form of the hostile-input run: the whole job ({@link VitLabelStage} with a
 * random-weight {@code vit_demo}) against a real KRaft broker, fed a seeded mix of valid JPEG and
 * PNG frames, mutations of them (truncation, bit flips, header rewrites, huge dimensions, 16-bit
 * and 4-component images), header fuzz, odd keys and values up to and above the value cap. With no
 * restart strategy, the job must finish, and every record must get exactly one answer: a label or
 * a dead letter with a reason.
 */
class HostileInputITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(
            // Frames up to 10 MB reach the job, as on a broker configured for large camera frames.
            Map.of("transaction.max.timeout.ms", "60000", "message.max.bytes", "10485760"));

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.oneTaskManagerTwoSlots();

    private static final long SEED = 16;
    private static final int RECORDS = 600;
    private static final String TOPIC = "hostile-frames";
    private static final String ID = HostileFrames.ID;

    @TempDir
    static Path tmp;

    private static Path modelDir;

    @BeforeAll
    static void model() throws Exception {
        modelDir = TestModels.randomVitDemo(tmp.resolve("model"));
    }

    @Test
    void everyHostileRecordIsAnsweredExactlyOnceAndTheJobDoesNotFail() throws Exception {
        KAFKA.createTopic(TOPIC, 2);
        KAFKA.createTopic("hostile-labels", 2);
        KAFKA.createTopic("hostile-dlq", 1);
        KAFKA.produce(records(), Map.of("max.request.size", 4 << 20));

        Configuration noRestart = new Configuration();
        noRestart.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(noRestart);
        StreamPipeline.of(conf(), new VitLabelStage()).build(env);
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
        long started = System.nanoTime();
        env.execute("hostile");
        long heapPeak = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP)
                .mapToLong(pool -> pool.getPeakUsage().getUsed())
                .sum();
        System.out.printf(
                "hostile input: job ran %.1f s; this JVM's heap peak (broker, cluster and job; sum of pool peaks) %d MB%n",
                (System.nanoTime() - started) / 1e9, heapPeak >> 20);

        List<ConsumerRecord<byte[], byte[]>> frames =
                KAFKA.read(TOPIC, RECORDS, Duration.ofSeconds(30), Duration.ZERO, false);
        Map<Integer, String> positionOf = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : frames) {
            positionOf.put(Integer.parseInt(header(r, ID)), r.topic() + "-" + r.partition() + "@" + r.offset());
        }
        assertThat(positionOf).hasSize(RECORDS);
        List<ConsumerRecord<byte[], byte[]>> dead =
                KAFKA.read("hostile-dlq", RECORDS, Duration.ofSeconds(5), Duration.ZERO, true);
        List<ConsumerRecord<byte[], byte[]>> labels = KAFKA.read(
                "hostile-labels", RECORDS - dead.size(), Duration.ofSeconds(30), Duration.ofMillis(500), true);
        check(frames, labels, dead);
    }

    private static Configuration conf() {
        Configuration c = new Configuration();
        c.set(StreamJobOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        c.set(StreamJobOptions.FRAMES_TOPIC, TOPIC);
        c.set(StreamJobOptions.LABELS_TOPIC, "hostile-labels");
        c.set(StreamJobOptions.DEAD_LETTER_TOPIC, "hostile-dlq");
        c.set(StreamJobOptions.GROUP_ID, "hostile");
        c.set(StreamJobOptions.BOUNDED, true);
        c.set(StreamJobOptions.PARALLELISM, 2);
        c.set(StreamJobOptions.MODEL_DIR, modelDir.toString());
        c.set(StreamJobOptions.DEVICE, "cpu");
        c.set(StreamJobOptions.MAX_BATCH, 8);
        c.set(StreamJobOptions.MAX_DELAY, Duration.ofMillis(20));
        c.set(StreamJobOptions.DELIVERY_GUARANTEE, DeliveryGuarantee.EXACTLY_ONCE);
        c.set(StreamJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(500));
        c.set(StreamJobOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(30));
        c.set(StreamJobOptions.TRANSACTIONAL_ID_PREFIX, "hostile");
        return c;
    }

    private static void check(
            List<ConsumerRecord<byte[], byte[]>> frames,
            List<ConsumerRecord<byte[], byte[]>> labels,
            List<ConsumerRecord<byte[], byte[]>> dead) {
        FrameAudit audit = new FrameAudit();
        Map<String, String> idAt = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : frames) {
            audit.frame(r);
            idAt.put(r.topic() + "-" + r.partition() + "@" + r.offset(), header(r, ID));
        }
        for (ConsumerRecord<byte[], byte[]> r : labels) {
            LabelRecord l = LabelRecord.fromJson(r.value());
            assertThat(l.stream()).isEqualTo(text(r.key()));
            assertThat(l.labels()).as("label of %s#%d", l.stream(), l.seq()).isNotEmpty();
            // Capture times are now, in seconds or far ahead: an untrusted one ages from the read.
            assertThat(l.ageMs()).as("age of %s#%d", l.stream(), l.seq()).isBetween(0L, 120_000L);
            audit.label(r);
        }
        int withoutValue = 0;
        for (ConsumerRecord<byte[], byte[]> r : dead) {
            String reason = header(r, WireFormat.ERROR);
            assertThat(reason).as("dead letter reason").isNotBlank();
            String position = reason.substring(0, Math.max(0, reason.indexOf(": ")));
            assertThat(idAt).as("dead letter of a sent record: %s", reason).containsKey(position);
            if (header(r, ID) != null) {
                assertThat(header(r, ID)).isEqualTo(idAt.get(position));
            }
            if (header(r, WireFormat.ORIGINAL_SIZE) != null) {
                // Too large for the dead-letter sink (above 1 MiB): written without its value.
                assertThat(r.value()).isNull();
                assertThat(header(r, WireFormat.ORIGINAL_TOPIC) + "-" + header(r, WireFormat.ORIGINAL_PARTITION) + "@"
                                + header(r, WireFormat.ORIGINAL_OFFSET))
                        .isEqualTo(position);
                withoutValue++;
            }
            audit.deadLetter(r);
        }
        FrameAudit.Report report = audit.report();
        StringBuilder kinds = new StringBuilder();
        report.byKind().forEach((k, v) -> kinds.append(String.format(" %s=%d/%d", k, v.labelled(), v.dead())));
        System.out.printf(
                "hostile input: %d records, %d labelled, %d dead-lettered (%d without value) %s%n  by kind (labelled/dead):%s%n  %s%n",
                report.sent(),
                labels.size(),
                dead.size(),
                withoutValue,
                report.byReason(),
                kinds,
                report.summaryLine());
        assertThat(report.sent()).isEqualTo(RECORDS);
        assertThat(report.ambiguous()).as("label keys unique by construction").isZero();
        assertThat(report.unknown())
                .as("labels and dead letters of records that were sent: %s", report.problems())
                .isZero();
        assertThat(report.problems())
                .as("records not answered exactly once as expected")
                .isEmpty();
        assertThat(report.lost() + report.duplicated() + report.wrong()).isZero();
        assertThat(labels.size() + dead.size()).isEqualTo(RECORDS);
        assertThat(withoutValue)
                .as("the dead letters of the two 1.5 MB records and of the 1.2 MB key lost their value")
                .isEqualTo(3);
    }

    private static List<ProducerRecord<byte[], byte[]>> records() {
        HostileFrames hostile = new HostileFrames(TOPIC, SEED);
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        for (int i = 0; i < RECORDS; i++) {
            out.add(hostile.next().record());
        }
        return out;
    }
}
