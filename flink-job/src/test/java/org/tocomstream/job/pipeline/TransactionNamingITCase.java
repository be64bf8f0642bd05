package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.tocomstream.job.testutils.FrameRecords.frame;
import static org.tocomstream.job.testutils.FrameRecords.utf8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tocomstream.job.testutils.FrameRecords;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.job.testutils.TestingLabelStage;

/**
 * How many transactional ids the exactly-once sinks leave on the broker. The broker keeps every
 * transactional id it has seen for {@code transactional.id.expiration.ms} (7 days by default), so
 * a strategy that takes a new id per checkpoint grows the broker's transaction state with the
 * job's uptime. A job runs for at least {@value #CHECKPOINTS} checkpoints at 200 ms while frames
 * keep arriving; then {@link Admin#listTransactions()} counts the ids under the job's prefix, and
 * a {@code read_committed} reader checks that every frame was labelled exactly once.
 */
class TransactionNamingITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(Map.of("transaction.max.timeout.ms", "60000"));

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static final List<String> STREAMS = List.of("cam-0", "cam-1", "cam-2");
    private static final int PARALLELISM = 2;
    private static final int SINKS = 2;
    /** Completed checkpoints the job runs for before it is cancelled. */
    private static final int CHECKPOINTS = 15;

    /**
     * Ids one sink subtask may hold under pooling: the open transaction, the one pre-committed at
     * the last checkpoint whose commit the writer has not yet heard of, and one more for a commit
     * reported a checkpoint late. One checkpoint at a time (Flink's default), so no more are in
     * flight; 4 leaves a margin and is still far below one id per checkpoint.
     */
    private static final int POOL_PER_SUBTASK = 4;

    @Test
    void poolingByDefaultKeepsTheTransactionalIdsBoundedAndLabelsEveryFrameOnce() throws Exception {
        Run run = run("txpool", new Configuration());

        assertThat(run.transactionalIds())
                .as("transactional ids after %d checkpoints: sinks x parallelism x pool", run.checkpoints())
                .hasSizeLessThanOrEqualTo(SINKS * PARALLELISM * POOL_PER_SUBTASK);
    }

    @Test
    void incrementingTakesANewTransactionalIdPerCheckpointAndLabelsEveryFrameOnce() throws Exception {
        Configuration incrementing = new Configuration();
        incrementing.set(StreamJobOptions.TRANSACTION_NAMING, TransactionNamingStrategy.INCREMENTING);
        Run run = run("txinc", incrementing);

        // Each sink subtask takes a new id at start and after every checkpoint.
        assertThat(run.transactionalIds())
                .as("transactional ids after %d checkpoints", run.checkpoints())
                .hasSizeGreaterThanOrEqualTo((int) (SINKS * PARALLELISM * run.checkpoints()));
    }

    /** A running job's last completed checkpoint, JVM-wide (the MiniCluster runs in this JVM). */
    static final class CheckpointCounter<T> implements MapFunction<T, T>, CheckpointListener {
        private static final long serialVersionUID = 1L;
        static final AtomicLong LAST_COMPLETED = new AtomicLong();

        @Override
        public T map(T value) {
            return value;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            LAST_COMPLETED.accumulateAndGet(checkpointId, Math::max);
        }
    }

    /** What a run left: its completed checkpoints and the transactional ids under its prefix. */
    record Run(long checkpoints, List<String> transactionalIds) {}

    /**
     * Runs the exactly-once job on topics {@code <prefix>-*} with transactional-id prefix {@code
     * prefix} and {@code extra} settings, producing a frame per stream and an empty frame every 50
     * ms until {@value #CHECKPOINTS} checkpoints have completed; asserts every frame labelled once
     * and every empty frame dead-lettered once (read_committed).
     */
    private static Run run(String prefix, Configuration extra) throws Exception {
        KAFKA.createTopic(prefix + "-frames", 2);
        KAFKA.createTopic(prefix + "-labels", 2);
        KAFKA.createTopic(prefix + "-dlq", 1);
        Configuration conf = new Configuration();
        conf.set(StreamJobOptions.BOOTSTRAP_SERVERS, KAFKA.bootstrapServers());
        conf.set(StreamJobOptions.FRAMES_TOPIC, prefix + "-frames");
        conf.set(StreamJobOptions.LABELS_TOPIC, prefix + "-labels");
        conf.set(StreamJobOptions.DEAD_LETTER_TOPIC, prefix + "-dlq");
        conf.set(StreamJobOptions.GROUP_ID, prefix);
        conf.set(StreamJobOptions.STARTING_OFFSETS, StreamJobOptions.StartingOffsets.EARLIEST);
        conf.set(StreamJobOptions.PARALLELISM, PARALLELISM);
        conf.set(StreamJobOptions.DELIVERY_GUARANTEE, DeliveryGuarantee.EXACTLY_ONCE);
        conf.set(StreamJobOptions.CHECKPOINT_INTERVAL, Duration.ofMillis(200));
        conf.set(StreamJobOptions.TRANSACTION_TIMEOUT, Duration.ofSeconds(30));
        conf.set(StreamJobOptions.TRANSACTIONAL_ID_PREFIX, prefix);
        conf.addAll(extra);

        CheckpointCounter.LAST_COMPLETED.set(0);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StreamPipeline.of(conf, new TestingLabelStage())
                .withBeforeLabelSink(
                        labels -> labels.map(new CheckpointCounter<>()).name("checkpoint-counter"))
                .build(env);
        JobClient job = env.executeAsync(prefix);
        int perStream = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        try {
            while (CheckpointCounter.LAST_COMPLETED.get() < CHECKPOINTS && System.nanoTime() < deadline) {
                List<ProducerRecord<byte[], byte[]>> batch = new ArrayList<>();
                for (String s : STREAMS) {
                    batch.add(frame(prefix + "-frames", s, perStream, utf8("frame " + s + "/" + perStream)));
                }
                // An empty frame: traffic for the dead-letter sink too.
                batch.add(frame(prefix + "-frames", "cam-empty", perStream, new byte[0]));
                KAFKA.produce(batch);
                perStream++;
                Thread.sleep(50);
            }
            assertThat(CheckpointCounter.LAST_COMPLETED.get())
                    .as("completed checkpoints")
                    .isGreaterThanOrEqualTo(CHECKPOINTS);
            List<ConsumerRecord<byte[], byte[]>> committed = KAFKA.read(
                    prefix + "-labels",
                    STREAMS.size() * perStream,
                    Duration.ofSeconds(20),
                    Duration.ofMillis(500),
                    true);
            FrameRecords.assertExactlyOnceInOrder(committed, STREAMS, perStream);
            assertThat(KAFKA.read(prefix + "-dlq", perStream, Duration.ofSeconds(20), Duration.ofMillis(500), true))
                    .as("dead letters, read_committed")
                    .hasSize(perStream);
        } finally {
            job.cancel().get();
        }
        Run run = new Run(CheckpointCounter.LAST_COMPLETED.get(), transactionalIds(prefix + "-"));
        System.out.printf(
                "%s: %d transactional ids after %d checkpoints: %s%n",
                prefix, run.transactionalIds().size(), run.checkpoints(), run.transactionalIds());
        return run;
    }

    /** The transactional ids the broker knows under {@code prefix}, in any state. */
    private static List<String> transactionalIds(String prefix) throws Exception {
        try (Admin admin =
                Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, (Object) KAFKA.bootstrapServers()))) {
            List<String> ids = new ArrayList<>();
            for (TransactionListing t : admin.listTransactions().all().get()) {
                if (t.transactionalId().startsWith(prefix)) {
                    ids.add(t.transactionalId());
                }
            }
            ids.sort(null);
            return ids;
        }
    }
}
