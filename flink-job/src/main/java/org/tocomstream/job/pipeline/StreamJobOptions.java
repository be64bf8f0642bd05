package org.tocomstream.job.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.stream.BatchInferenceOperatorFactory;
import org.tocomstream.stream.BatchingConfig;
import org.tocomstream.stream.DecodeConfig;
import org.tocomstream.stream.ModelConfig;
import org.tocomstream.stream.WireFormat;

/**
 * Every setting of the streaming job as a typed Flink {@link ConfigOption} with its default and
 * description, in the spirit of the Kafka connector's {@code KafkaSourceOptions}. The command line
 * ({@code run}, the no-argument demo, {@code StreamJob} on a cluster) binds one flag to each
 * option; {@link StreamJob} reads them once on the client and hands plain values and records to
 * the operators. {@link #validate(ReadableConfig)} checks values and relations and names the key.
 *
 * <pre>{@code
 * Configuration conf = new Configuration();
 * conf.set(StreamJobOptions.BOOTSTRAP_SERVERS, "kafka:9092");
 * conf.set(StreamJobOptions.DELIVERY_GUARANTEE, DeliveryGuarantee.EXACTLY_ONCE);
 * StreamJobOptions.validate(conf);
 * }</pre>
 */
public final class StreamJobOptions {

    private StreamJobOptions() {}

    // ---- Kafka -------------------------------------------------------------------------------

    public static final ConfigOption<String> BOOTSTRAP_SERVERS = ConfigOptions.key("kafka.bootstrap-servers")
            .stringType()
            .noDefaultValue()
            .withDescription("Kafka bootstrap servers, HOST:PORT[,HOST:PORT]. Required on a cluster;"
                    + " the demo starts an in-process broker when it is not set.");

    public static final ConfigOption<String> FRAMES_TOPIC = ConfigOptions.key("kafka.topic.frames")
            .stringType()
            .defaultValue(WireFormat.DEFAULT_FRAMES_TOPIC)
            .withDescription("Topic the frames are read from (key = stream id, value = JPEG/PNG).");

    public static final ConfigOption<String> LABELS_TOPIC = ConfigOptions.key("kafka.topic.labels")
            .stringType()
            .defaultValue(WireFormat.DEFAULT_LABELS_TOPIC)
            .withDescription("Topic the labels are written to (key = stream id, value = LabelRecord JSON).");

    public static final ConfigOption<String> DEAD_LETTER_TOPIC = ConfigOptions.key("kafka.topic.dead-letter")
            .stringType()
            .defaultValue(WireFormat.DEFAULT_DEAD_LETTER_TOPIC)
            .withDescription(
                    "Topic for frames that cannot be labelled: the original record plus an" + " 'error' header.");

    public static final ConfigOption<String> GROUP_ID = ConfigOptions.key("kafka.group-id")
            .stringType()
            .noDefaultValue()
            .withDescription("Consumer group of the frames source. Not set: the job's identity,"
                    + " <job.name>-<kafka.topic.frames>-<kafka.topic.labels> (characters other than"
                    + " letters, digits, '.', '_' and '-' become '-'), so jobs with different names"
                    + " or topics never share it. Offsets are committed on checkpoints"
                    + " (for monitoring and for kafka.starting-offsets=COMMITTED); a restored"
                    + " job resumes from its checkpoint, not from them.");

    /** Where a job without a checkpoint starts reading the frames topic. */
    public enum StartingOffsets {
        /** The group's committed offsets; the earliest offset for partitions without one. */
        COMMITTED,
        /** The start of each partition. */
        EARLIEST,
        /** The end of each partition: only frames written after the start. */
        LATEST
    }

    public static final ConfigOption<StartingOffsets> STARTING_OFFSETS = ConfigOptions.key("kafka.starting-offsets")
            .enumType(StartingOffsets.class)
            .defaultValue(StartingOffsets.COMMITTED)
            .withDescription("Where a fresh job starts reading: COMMITTED (the group's offsets, else the"
                    + " earliest), EARLIEST or LATEST.");

    public static final ConfigOption<Boolean> BOUNDED = ConfigOptions.key("kafka.bounded")
            .booleanType()
            .defaultValue(false)
            .withDescription("Stop at the end offsets the job sees when it starts (process a backlog, then"
                    + " finish) instead of running until cancelled.");

    public static final ConfigOption<Map<String, String>> KAFKA_PROPERTIES = ConfigOptions.key("kafka.properties")
            .mapType()
            .defaultValue(Map.of())
            .withDescription("Extra Kafka client properties for the source and both sinks, e.g."
                    + " security.protocol:SSL,ssl.truststore.location:/etc/ts.jks.");

    public static final ConfigOption<String> TRANSACTIONAL_ID_PREFIX = ConfigOptions.key(
                    "kafka.transactional-id-prefix")
            .stringType()
            .noDefaultValue()
            .withDescription("Exactly-once only: prefix of the sinks' transactional ids (the labels sink"
                    + " appends '-labels', the dead-letter sink '-dead-letter'). Must be"
                    + " unique per job writing to the same cluster. Not set: the job's identity,"
                    + " as for kafka.group-id.");

    public static final ConfigOption<Duration> TRANSACTION_TIMEOUT = ConfigOptions.key("kafka.transaction-timeout")
            .durationType()
            .defaultValue(Duration.ofMinutes(10))
            .withDescription("Exactly-once only: the producers' transaction.timeout.ms. Must exceed the"
                    + " checkpoint interval (a transaction stays open from one checkpoint to"
                    + " the next) plus the time to recover from a failure, and must not exceed"
                    + " the broker's transaction.max.timeout.ms (Kafka's default 15 min),"
                    + " which the job checks at start. Too short and the broker aborts"
                    + " transactions the job still has to commit: data loss.");

    public static final ConfigOption<TransactionNamingStrategy> TRANSACTION_NAMING = ConfigOptions.key(
                    "kafka.transaction-naming")
            .enumType(TransactionNamingStrategy.class)
            .defaultValue(TransactionNamingStrategy.POOLING)
            .withDescription("Exactly-once only: how the sinks name their transactions. POOLING reuses a"
                    + " few transactional ids per sink subtask. It finds lingering transactions by"
                    + " listing them on the broker: Kafka 3.0 or later and, with ACLs, Read on the labels"
                    + " and dead-letter topics and Describe on the transactional ids (Write implies it)."
                    + " INCREMENTING takes a new id per checkpoint, which the broker keeps for"
                    + " transactional.id.expiration.ms (7 days by default). A job that ran with POOLING"
                    + " cannot be restored with INCREMENTING.");

    // ---- Delivery and checkpoints ----------------------------------------------------------------

    public static final ConfigOption<DeliveryGuarantee> DELIVERY_GUARANTEE = ConfigOptions.key("delivery.guarantee")
            .enumType(DeliveryGuarantee.class)
            .defaultValue(DeliveryGuarantee.AT_LEAST_ONCE)
            .withDescription("AT_LEAST_ONCE: labels are written as they are made and flushed on every"
                    + " checkpoint; after a failure some frames are labelled twice."
                    + " EXACTLY_ONCE: Kafka transactions committed on checkpoints; readers with"
                    + " isolation.level=read_committed see every frame once, one checkpoint"
                    + " interval late. NONE: no flush on checkpoints.");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL = ConfigOptions.key("checkpoint.interval")
            .durationType()
            .defaultValue(Duration.ofSeconds(5))
            .withDescription("Checkpoint interval. Bounds the work redone after a failure and, with"
                    + " EXACTLY_ONCE, how late labels become visible to read_committed readers.");

    // ---- Model and inference ---------------------------------------------------------------------

    public static final ConfigOption<String> MODEL_DIR = ConfigOptions.key(ModelConfig.MODEL_DIR)
            .stringType()
            .noDefaultValue()
            .withDescription("Model directory (model.json + weights), readable on every TaskManager."
                    + " The demo uses the bundled demo model when it is not set.");

    public static final ConfigOption<String> DEVICE = ConfigOptions.key(ModelConfig.DEVICE)
            .stringType()
            .defaultValue("auto")
            .withDescription("Device the model runs on: cpu, gpu, gpuN, or auto (a GPU Flink assigned to"
                    + " the TaskManager under vit.model.gpu-resource: the one fewest of that TaskManager's"
                    + " inference subtasks use; else the CPU).");

    public static final ConfigOption<String> GPU_RESOURCE = ConfigOptions.key(ModelConfig.GPU_RESOURCE)
            .stringType()
            .defaultValue("gpu")
            .withDescription("Name of Flink's external resource that lists the GPUs, for device auto.");

    public static final ConfigOption<String> COMPENSATOR = ConfigOptions.key(ModelConfig.COMPENSATOR)
            .stringType()
            .defaultValue(ModelConfig.COMPENSATOR_AUTO)
            .withDescription("Token Compensator plugin applied to batches at ToMe levels: a plugin file"
                    + " (its sidecar .json next to it), auto (the model directory's "
                    + TokenCompensator.FILE_NAME + " if present) or none. A plugin made for"
                    + " other weights stops the job at start.");

    public static final ConfigOption<Double> COMPENSATOR_SCALE = ConfigOptions.key(ModelConfig.COMPENSATOR_SCALE)
            .doubleType()
            .noDefaultValue()
            .withDescription("Scale s of the Token Compensator's delta, >= 0 (0 = never apply it)."
                    + " Not set: the plugin's default (its sidecar's defaultScale).");

    public static final ConfigOption<String> STUDENT = ConfigOptions.key(ModelConfig.STUDENT_DIR)
            .stringType()
            .noDefaultValue()
            .withDescription("A second, smaller model directory with the model's labels and preprocessing,"
                    + " loaded beside the model on the same device; batches at the level 'student' (a rung"
                    + " of the ladder, or vit.compress.level) run it, and their labels name it. Not set: no"
                    + " student.");

    public static final ConfigOption<String> LEVEL = ConfigOptions.key("vit.compress.level")
            .stringType()
            .defaultValue("none")
            .withDescription("Compression level, text form: none, tome:8, tome-decreasing:8, tome:8,8,4,"
                    + " evit:0.7, evit:0.7@3,6,9.");

    public static final ConfigOption<Integer> MAX_BATCH = ConfigOptions.key(BatchingConfig.MAX_BATCH_SIZE)
            .intType()
            .defaultValue(8)
            .withDescription("Most frames in one forward pass.");

    public static final ConfigOption<Duration> MAX_DELAY = ConfigOptions.key(BatchingConfig.MAX_DELAY)
            .durationType()
            .defaultValue(Duration.ofMillis(50))
            .withDescription("Longest a frame waits for its batch to fill before the batch runs anyway.");

    public static final ConfigOption<Integer> MAX_IN_FLIGHT = ConfigOptions.key(BatchingConfig.MAX_IN_FLIGHT)
            .intType()
            .defaultValue(1)
            .withDescription(
                    "Batches one inference subtask runs at the same time; further frames wait" + " (backpressure).");

    public static final ConfigOption<Integer> TOP_K = ConfigOptions.key(BatchInferenceOperatorFactory.TOP_K)
            .intType()
            .defaultValue(5)
            .withDescription("Labels per frame, best first (at most the model's class count).");

    public static final ConfigOption<MemorySize> MAX_FRAME_BYTES = ConfigOptions.key(DecodeConfig.MAX_VALUE_BYTES)
            .memoryType()
            .defaultValue(new MemorySize(DecodeConfig.DEFAULT_MAX_VALUE_BYTES))
            .withDescription("Frames with a larger value go to the dead-letter topic undecoded (and"
                    + " without their value when the dead-letter sink cannot write it). At most the"
                    + " sinks' max.request.size (kafka.properties, default 1 MiB) minus 64 KiB for key,"
                    + " headers and framing, so that every frame within the cap can be dead-lettered"
                    + " whole.");

    public static final ConfigOption<MemorySize> MAX_KEY_BYTES = ConfigOptions.key(DecodeConfig.MAX_KEY_BYTES)
            .memoryType()
            .defaultValue(new MemorySize(DecodeConfig.DEFAULT_MAX_KEY_BYTES))
            .withDescription("Frames with a longer key (the stream id, bytes of UTF-8) go to the"
                    + " dead-letter topic: a label repeats the stream id twice and the job keeps state"
                    + " per stream. At most 32 KiB (half the room a dead letter keeps for key and"
                    + " headers), and small enough that a label fits the sinks' max.request.size.");

    public static final ConfigOption<Long> MAX_PIXELS = ConfigOptions.key(DecodeConfig.MAX_PIXELS)
            .longType()
            .defaultValue(ImagePreprocessor.DEFAULT_MAX_PIXELS)
            .withDescription("Images with more pixels (width x height, read from the header before"
                    + " decoding) go to the dead-letter topic.");

    public static final ConfigOption<MemorySize> MAX_DECODED_BYTES = ConfigOptions.key(DecodeConfig.MAX_DECODED_BYTES)
            .memoryType()
            .defaultValue(MemorySize.ofMebiBytes(ImagePreprocessor.DEFAULT_MAX_DECODED_BYTES >> 20))
            .withDescription("Most heap one decode may hold: the decoder's raster (2 bytes per 16-bit"
                    + " sample) after subsampling plus the RGB copy, computed from the header. Images"
                    + " at least twice the model's resize size are decoded subsampled; one still above"
                    + " this goes to the dead-letter topic. Heap for decoding: decode subtasks per"
                    + " TaskManager x this.");

    // ---- Job -------------------------------------------------------------------------------------

    public static final ConfigOption<String> JOB_NAME = ConfigOptions.key("job.name")
            .stringType()
            .defaultValue("tocom-stream")
            .withDescription("Flink job name.");

    public static final ConfigOption<Integer> PARALLELISM = ConfigOptions.key("job.parallelism")
            .intType()
            .defaultValue(1)
            .withDescription(
                    "Parallelism of source, decode and inference (the inference subtasks of one"
                            + " TaskManager share one loaded model per device). Frames of one stream stay in one subtask, in order.");

    /**
     * The job's identity on the Kafka cluster: {@code <job.name>-<frames topic>-<labels topic>},
     * every character other than a letter, digit, '.', '_' or '-' replaced by '-'. The consumer
     * group and the transactional-id prefix default to it, so that two jobs left on defaults share
     * neither unless they have the same name and the same topics.
     */
    public static String jobIdentity(ReadableConfig conf) {
        String identity = conf.get(JOB_NAME) + "-" + conf.get(FRAMES_TOPIC) + "-" + conf.get(LABELS_TOPIC);
        return identity.replaceAll("[^A-Za-z0-9._-]", "-");
    }

    /** The frames source's consumer group: {@link #GROUP_ID} when set, else {@link #jobIdentity}. */
    public static String groupId(ReadableConfig conf) {
        return conf.getOptional(GROUP_ID).orElseGet(() -> jobIdentity(conf));
    }

    /** The sinks' transactional-id prefix: {@link #TRANSACTIONAL_ID_PREFIX} when set, else {@link #jobIdentity}. */
    public static String transactionalIdPrefix(ReadableConfig conf) {
        return conf.getOptional(TRANSACTIONAL_ID_PREFIX).orElseGet(() -> jobIdentity(conf));
    }

    /** The value an unset option without a default takes from the others, if it is one of those. */
    static Optional<String> derivedValue(ReadableConfig conf, ConfigOption<?> option) {
        if (option == GROUP_ID) {
            return Optional.of(groupId(conf));
        }
        if (option == TRANSACTIONAL_ID_PREFIX) {
            return Optional.of(transactionalIdPrefix(conf));
        }
        return Optional.empty();
    }

    /**
     * The job's options in the order the effective configuration is printed, the load controller's
     * ({@link ControlOptions}) and the token-reuse cache's ({@link ReuseOptions}) last.
     */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> all = new ArrayList<>(List.of(
                BOOTSTRAP_SERVERS,
                FRAMES_TOPIC,
                LABELS_TOPIC,
                DEAD_LETTER_TOPIC,
                GROUP_ID,
                STARTING_OFFSETS,
                BOUNDED,
                KAFKA_PROPERTIES,
                DELIVERY_GUARANTEE,
                CHECKPOINT_INTERVAL,
                TRANSACTIONAL_ID_PREFIX,
                TRANSACTION_TIMEOUT,
                TRANSACTION_NAMING,
                MODEL_DIR,
                DEVICE,
                GPU_RESOURCE,
                COMPENSATOR,
                COMPENSATOR_SCALE,
                STUDENT,
                LEVEL,
                MAX_BATCH,
                MAX_DELAY,
                MAX_IN_FLIGHT,
                TOP_K,
                MAX_FRAME_BYTES,
                MAX_KEY_BYTES,
                MAX_PIXELS,
                MAX_DECODED_BYTES,
                JOB_NAME,
                PARALLELISM));
        all.addAll(ControlOptions.all());
        all.addAll(ReuseOptions.all());
        return List.copyOf(all);
    }

    /**
     * Checks every value and the relations between them ({@link StreamJobChecks}).
     *
     * @return one message per problem, each naming its key; empty when the configuration is usable
     */
    public static List<String> validate(ReadableConfig conf) {
        return StreamJobChecks.validate(conf);
    }
}
