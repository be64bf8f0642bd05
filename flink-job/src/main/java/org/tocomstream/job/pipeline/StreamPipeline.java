package org.tocomstream.job.pipeline;

import java.io.Serializable;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.tocomstream.job.kafka.DeadLetterSerializationSchema;
import org.tocomstream.job.kafka.FrameDeserializationSchema;
import org.tocomstream.job.kafka.LabelSerializationSchema;
import org.tocomstream.stream.DeadLetter;
import org.tocomstream.stream.FrameRecord;
import org.tocomstream.stream.LabelRecord;

/**
 * The Kafka frame of the streaming job, built from {@link StreamJobOptions}:
 *
 * <pre>
 * KafkaSource&lt;FrameRecord&gt; (frames topic, whole records)
 *   └ label stage: decode + preprocess (chained) → batching inference      → labels
 *                                                 └ side output             → dead letters
 * labels       → KafkaSink (labels topic, key = stream id, LabelRecord JSON)
 * dead letters → KafkaSink (dead-letter topic, original record + error header; without the value
 *                           when too large for the sink)
 * </pre>
 *
 * <p>Delivery follows {@link StreamJobOptions#DELIVERY_GUARANTEE}: checkpoints every {@link
 * StreamJobOptions#CHECKPOINT_INTERVAL} in both modes (they commit the source offsets and flush or
 * commit the sinks); with {@code EXACTLY_ONCE} the checkpoints are aligned, the source reads
 * {@code read_committed}, and each sink writes in Kafka transactions under its own id prefix with
 * {@link StreamJobOptions#TRANSACTION_TIMEOUT}, named by {@link StreamJobOptions#TRANSACTION_NAMING}.
 *
 * <pre>{@code
 * StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
 * StreamPipeline.of(conf, new VitLabelStage()).build(env);
 * env.execute(conf.get(StreamJobOptions.JOB_NAME));
 * }</pre>
 */
public final class StreamPipeline {

    /** Turns frames into labels and dead letters: the part between the Kafka source and sinks. */
    @FunctionalInterface
    public interface LabelStage extends Serializable {
        Outputs apply(DataStream<FrameRecord> frames, ReadableConfig conf);
    }

    /** The two outputs of a {@link LabelStage}. */
    public record Outputs(DataStream<LabelRecord> labels, DataStream<DeadLetter> deadLetters) {
        public Outputs {
            Objects.requireNonNull(labels, "labels");
            Objects.requireNonNull(deadLetters, "deadLetters");
        }
    }

    /** Uid of the Kafka source (state: the partition offsets). */
    public static final String SOURCE_UID = "frames-source";

    /** Uid of the labels sink (state: the open transactions under EXACTLY_ONCE). */
    public static final String LABELS_SINK_UID = "labels-sink";

    /** Uid of the dead-letter sink. */
    public static final String DEAD_LETTER_SINK_UID = "dead-letter-sink";

    private final ReadableConfig conf;
    private final LabelStage stage;
    private final UnaryOperator<DataStream<LabelRecord>> beforeLabelSink;

    private StreamPipeline(
            ReadableConfig conf, LabelStage stage, UnaryOperator<DataStream<LabelRecord>> beforeLabelSink) {
        this.conf = conf;
        this.stage = stage;
        this.beforeLabelSink = beforeLabelSink;
    }

    /** The pipeline for a validated configuration ({@link StreamJobOptions#validate}). */
    public static StreamPipeline of(ReadableConfig conf, LabelStage stage) {
        if (conf.get(StreamJobOptions.BOOTSTRAP_SERVERS) == null) {
            throw new IllegalArgumentException(StreamJobOptions.BOOTSTRAP_SERVERS.key() + " is not set");
        }
        var errors = StreamJobOptions.validate(conf);
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", errors));
        }
        return new StreamPipeline(conf, Objects.requireNonNull(stage, "stage"), UnaryOperator.identity());
    }

    /**
     * A copy that passes the labels through {@code hook} before the sink: tests inject failures
     * there.
     */
    public StreamPipeline withBeforeLabelSink(UnaryOperator<DataStream<LabelRecord>> hook) {
        return new StreamPipeline(conf, stage, Objects.requireNonNull(hook, "hook"));
    }

    /** Sets parallelism and checkpointing on {@code env} and adds source, stage and sinks. */
    public void build(StreamExecutionEnvironment env) {
        DeliveryGuarantee guarantee = conf.get(StreamJobOptions.DELIVERY_GUARANTEE);
        env.setParallelism(conf.get(StreamJobOptions.PARALLELISM));
        env.enableCheckpointing(
                conf.get(StreamJobOptions.CHECKPOINT_INTERVAL).toMillis(),
                guarantee == DeliveryGuarantee.EXACTLY_ONCE
                        ? CheckpointingMode.EXACTLY_ONCE
                        : CheckpointingMode.AT_LEAST_ONCE);

        DataStream<FrameRecord> frames = env.fromSource(source(conf), WatermarkStrategy.noWatermarks(), "frames")
                .uid(SOURCE_UID);
        Outputs out = stage.apply(frames, conf);
        beforeLabelSink
                .apply(out.labels())
                .sinkTo(labelSink(conf))
                .name("labels")
                .uid(LABELS_SINK_UID);
        out.deadLetters().sinkTo(deadLetterSink(conf)).name("dead-letters").uid(DEAD_LETTER_SINK_UID);
    }

    /** The frames source: whole records, starting and stopping offsets from the configuration. */
    public static KafkaSource<FrameRecord> source(ReadableConfig conf) {
        KafkaSourceBuilder<FrameRecord> b = KafkaSource.<FrameRecord>builder()
                .setBootstrapServers(conf.get(StreamJobOptions.BOOTSTRAP_SERVERS))
                .setTopics(conf.get(StreamJobOptions.FRAMES_TOPIC))
                .setGroupId(StreamJobOptions.groupId(conf))
                .setClientIdPrefix(conf.get(StreamJobOptions.JOB_NAME) + "-frames")
                .setDeserializer(new FrameDeserializationSchema())
                .setStartingOffsets(startingOffsets(conf.get(StreamJobOptions.STARTING_OFFSETS)));
        b.setProperties(clientProperties(conf));
        if (conf.get(StreamJobOptions.DELIVERY_GUARANTEE) == DeliveryGuarantee.EXACTLY_ONCE) {
            // Frames written in aborted transactions are never labelled.
            b.setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        }
        if (conf.get(StreamJobOptions.BOUNDED)) {
            b.setBounded(OffsetsInitializer.latest());
        }
        return b.build();
    }

    /** The labels sink. */
    public static KafkaSink<LabelRecord> labelSink(ReadableConfig conf) {
        return sink(conf, "-labels", new LabelSerializationSchema(conf.get(StreamJobOptions.LABELS_TOPIC)));
    }

    /** The dead-letter sink. */
    public static KafkaSink<DeadLetter> deadLetterSink(ReadableConfig conf) {
        // The schema writes a dead letter too large for this producer or the topic without its value.
        int budget = DeadLetterLimit.budget(conf);
        return sink(
                conf,
                "-dead-letter",
                new DeadLetterSerializationSchema(conf.get(StreamJobOptions.DEAD_LETTER_TOPIC), budget));
    }

    private static <T> KafkaSink<T> sink(
            ReadableConfig conf,
            String suffix,
            org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema<T> schema) {
        DeliveryGuarantee guarantee = conf.get(StreamJobOptions.DELIVERY_GUARANTEE);
        var b = KafkaSink.<T>builder()
                .setBootstrapServers(conf.get(StreamJobOptions.BOOTSTRAP_SERVERS))
                .setKafkaProducerConfig(clientProperties(conf))
                .setRecordSerializer(schema)
                .setDeliveryGuarantee(guarantee);
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            // Two sinks in one job: distinct prefixes, or their transactional ids would fence each other.
            // POOLING needs the schema to name its topic (KafkaDatasetFacetProvider): it lists the
            // topic's open transactions to abort the lingering ones on restore.
            b.setTransactionalIdPrefix(StreamJobOptions.transactionalIdPrefix(conf) + suffix)
                    .setTransactionNamingStrategy(conf.get(StreamJobOptions.TRANSACTION_NAMING))
                    .setProperty(
                            ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                            Long.toString(conf.get(StreamJobOptions.TRANSACTION_TIMEOUT)
                                    .toMillis()));
        }
        return b.build();
    }

    private static Properties clientProperties(ReadableConfig conf) {
        Properties p = new Properties();
        for (Map.Entry<String, String> e :
                conf.get(StreamJobOptions.KAFKA_PROPERTIES).entrySet()) {
            p.setProperty(e.getKey(), e.getValue());
        }
        return p;
    }

    // The connector's committedOffsets(...) still takes kafka-clients' deprecated OffsetResetStrategy.
    @SuppressWarnings("deprecation")
    private static OffsetsInitializer startingOffsets(StreamJobOptions.StartingOffsets s) {
        switch (s) {
            case EARLIEST:
                return OffsetsInitializer.earliest();
            case LATEST:
                return OffsetsInitializer.latest();
            case COMMITTED:
            default:
                return OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
        }
    }
}
