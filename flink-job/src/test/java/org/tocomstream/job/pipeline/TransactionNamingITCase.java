package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.tocomstream.job.testutils.FrameRecords.frame;
import static org.tocomstream.job.testutils.FrameRecords.utf8;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.job.testutils.FrameRecords;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.job.testutils.MiniClusters;
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
    static final MiniClusterExtension FLINK = MiniClusters.oneTaskManagerTwoSlots();

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

    /**
     * The connector records the naming in the sinks' state: a job that ran with INCREMENTING
     * restores with POOLING (and stays exactly-once across the switch), but a job that ran with
     * POOLING refuses to restore with INCREMENTING.
     */
    @Test
    void incrementingStateRestoresWithPoolingButPoolingStateRefusesIncrementing(@TempDir Path savepoints)
            throws Exception {
        String prefix = "txswitch";
        Configuration incrementing = new Configuration();
        incrementing.set(StreamJobOptions.TRANSACTION_NAMING, TransactionNamingStrategy.INCREMENTING);
        String dir = savepoints.toUri().toString();
        CheckpointCounter.LAST_COMPLETED.set(0);

        JobClient first = start(conf(prefix, incrementing), null, true);
        int seq = feed(prefix, 0, 3);
        String incrementingSavepoint = first.stopWithSavepoint(false, dir, SavepointFormatType.CANONICAL)
                .get();

        JobClient pooled = start(conf(prefix, new Configuration()), incrementingSavepoint, false);
        seq = feed(prefix, seq, CheckpointCounter.LAST_COMPLETED.get() + 3);
        String poolingSavepoint = pooled.stopWithSavepoint(false, dir, SavepointFormatType.CANONICAL)
                .get();
        assertEveryFrameOnce(prefix, seq);

        JobClient back = start(conf(prefix, incrementing), poolingSavepoint, false);
        assertThatThrownBy(() -> back.getJobExecutionResult().get(60, TimeUnit.SECONDS))
                .hasStackTraceContaining("Attempted to switch the transaction naming strategy back to INCREMENTING");
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
     * prefix} and {@code extra} settings, feeding it until {@value #CHECKPOINTS} checkpoints have
     * completed; asserts every frame labelled once and every empty frame dead-lettered once.
     */
    private static Run run(String prefix, Configuration extra) throws Exception {
        CheckpointCounter.LAST_COMPLETED.set(0);
        JobClient job = start(conf(prefix, extra), null, true);
        try {
            int perStream = feed(prefix, 0, CHECKPOINTS);
            assertEveryFrameOnce(prefix, perStream);
        } finally {
            job.cancel().get();
        }
        Run run = new Run(CheckpointCounter.LAST_COMPLETED.get(), transactionalIds(prefix + "-"));
        System.out.printf(
                "%s: %d transactional ids after %d checkpoints: %s%n",
                prefix, run.transactionalIds().size(), run.checkpoints(), run.transactionalIds());
        return run;
    }

    /** The exactly-once job on topics {@code <prefix>-*} (created if missing), ids under {@code prefix}. */
    private static Configuration conf(String prefix, Configuration extra) {
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
        return conf;
    }

    /** Submits the job, from {@code savepoint} when not null; without restarts unless {@code restart}. */
    private static JobClient start(Configuration conf, String savepoint, boolean restart) throws Exception {
        Configuration envConf = new Configuration();
        if (savepoint != null) {
            envConf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        if (!restart) {
            envConf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(envConf);
        StreamPipeline.of(conf, new TestingLabelStage())
                .withBeforeLabelSink(
                        labels -> labels.map(new CheckpointCounter<>()).name("checkpoint-counter"))
                .build(env);
        return env.executeAsync(conf.get(StreamJobOptions.TRANSACTIONAL_ID_PREFIX));
    }

    /**
     * Produces, every 50 ms, frame {@code seq} of each stream and an empty frame (traffic for the
     * dead-letter sink), from {@code fromSeq} until checkpoint {@code untilCheckpoint} has completed.
     *
     * @return the next {@code seq}
     */
    private static int feed(String prefix, int fromSeq, long untilCheckpoint) throws Exception {
        int seq = fromSeq;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (CheckpointCounter.LAST_COMPLETED.get() < untilCheckpoint && System.nanoTime() < deadline) {
            List<ProducerRecord<byte[], byte[]>> batch = new ArrayList<>();
            for (String s : STREAMS) {
                batch.add(frame(prefix + "-frames", s, seq, utf8("frame " + s + "/" + seq)));
            }
            batch.add(frame(prefix + "-frames", "cam-empty", seq, new byte[0]));
            KAFKA.produce(batch);
            seq++;
            Thread.sleep(50);
        }
        assertThat(CheckpointCounter.LAST_COMPLETED.get())
                .as("completed checkpoints")
                .isGreaterThanOrEqualTo(untilCheckpoint);
        return seq;
    }

    /** Frames {@code 0..perStream-1} of each stream labelled once, in order; each empty frame dead-lettered once. */
    private static void assertEveryFrameOnce(String prefix, int perStream) {
        List<ConsumerRecord<byte[], byte[]>> committed = KAFKA.read(
                prefix + "-labels", STREAMS.size() * perStream, Duration.ofSeconds(20), Duration.ofMillis(500), true);
        FrameRecords.assertExactlyOnceInOrder(committed, STREAMS, perStream);
        assertThat(KAFKA.read(prefix + "-dlq", perStream, Duration.ofSeconds(20), Duration.ofMillis(500), true))
                .as("dead letters, read_committed")
                .hasSize(perStream);
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
