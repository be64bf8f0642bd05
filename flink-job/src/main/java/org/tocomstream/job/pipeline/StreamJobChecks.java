package org.tocomstream.job.pipeline;

import static org.tocomstream.job.pipeline.StreamJobOptions.BOOTSTRAP_SERVERS;
import static org.tocomstream.job.pipeline.StreamJobOptions.CHECKPOINT_INTERVAL;
import static org.tocomstream.job.pipeline.StreamJobOptions.COMPENSATOR;
import static org.tocomstream.job.pipeline.StreamJobOptions.COMPENSATOR_SCALE;
import static org.tocomstream.job.pipeline.StreamJobOptions.DEAD_LETTER_TOPIC;
import static org.tocomstream.job.pipeline.StreamJobOptions.DELIVERY_GUARANTEE;
import static org.tocomstream.job.pipeline.StreamJobOptions.DEVICE;
import static org.tocomstream.job.pipeline.StreamJobOptions.FRAMES_TOPIC;
import static org.tocomstream.job.pipeline.StreamJobOptions.GROUP_ID;
import static org.tocomstream.job.pipeline.StreamJobOptions.KAFKA_PROPERTIES;
import static org.tocomstream.job.pipeline.StreamJobOptions.LABELS_TOPIC;
import static org.tocomstream.job.pipeline.StreamJobOptions.LEVEL;
import static org.tocomstream.job.pipeline.StreamJobOptions.MAX_BATCH;
import static org.tocomstream.job.pipeline.StreamJobOptions.MAX_DECODED_BYTES;
import static org.tocomstream.job.pipeline.StreamJobOptions.MAX_DELAY;
import static org.tocomstream.job.pipeline.StreamJobOptions.MAX_FRAME_BYTES;
import static org.tocomstream.job.pipeline.StreamJobOptions.MAX_IN_FLIGHT;
import static org.tocomstream.job.pipeline.StreamJobOptions.MAX_KEY_BYTES;
import static org.tocomstream.job.pipeline.StreamJobOptions.MAX_PIXELS;
import static org.tocomstream.job.pipeline.StreamJobOptions.PARALLELISM;
import static org.tocomstream.job.pipeline.StreamJobOptions.TOP_K;
import static org.tocomstream.job.pipeline.StreamJobOptions.TRANSACTIONAL_ID_PREFIX;
import static org.tocomstream.job.pipeline.StreamJobOptions.TRANSACTION_TIMEOUT;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.kafka.DeadLetterSerializationSchema;
import org.tocomstream.job.kafka.KafkaTopics;
import org.tocomstream.job.kafka.LabelSerializationSchema;
import org.tocomstream.stream.ModelConfig;

/** The checks of a job configuration: each value and the relations between them, every message naming its key. */
final class StreamJobChecks {

    private StreamJobChecks() {}

    /**
     * Checks every value and the relations between them.
     *
     * @return one message per problem, each naming its key; empty when the configuration is usable
     */
    static List<String> validate(ReadableConfig conf) {
        List<String> errors = new ArrayList<>();
        String bootstrap = conf.get(BOOTSTRAP_SERVERS);
        if (bootstrap != null && !KafkaTopics.isBootstrapServers(bootstrap)) {
            errors.add(String.format(
                    "%s: expected HOST:PORT[,HOST:PORT...] but was '%s'", BOOTSTRAP_SERVERS.key(), bootstrap));
        }
        for (ConfigOption<String> topic : List.of(FRAMES_TOPIC, LABELS_TOPIC, DEAD_LETTER_TOPIC)) {
            if (!conf.get(topic).matches("[a-zA-Z0-9._-]{1,249}")) {
                errors.add(String.format("%s: '%s' is not a valid Kafka topic name", topic.key(), conf.get(topic)));
            }
        }
        if (conf.get(FRAMES_TOPIC).equals(conf.get(LABELS_TOPIC))
                || conf.get(FRAMES_TOPIC).equals(conf.get(DEAD_LETTER_TOPIC))
                || conf.get(LABELS_TOPIC).equals(conf.get(DEAD_LETTER_TOPIC))) {
            errors.add(String.format(
                    "%s, %s and %s must be three different topics",
                    FRAMES_TOPIC.key(), LABELS_TOPIC.key(), DEAD_LETTER_TOPIC.key()));
        }
        if (!ModelConfig.isDeviceName(conf.get(DEVICE))) {
            errors.add(String.format(
                    "%s: expected auto, cpu, gpu, gpuN or gpu(N) but was '%s'", DEVICE.key(), conf.get(DEVICE)));
        }
        if (conf.get(COMPENSATOR).isBlank()) {
            errors.add(COMPENSATOR.key() + ": expected a plugin file, auto or none but was empty");
        }
        conf.getOptional(COMPENSATOR_SCALE).ifPresent(s -> {
            if (!Double.isFinite(s) || s < 0) {
                errors.add(String.format(
                        Locale.ROOT, "%s: must be finite and >= 0 but was %s", COMPENSATOR_SCALE.key(), s));
            }
        });
        if (conf.getOptional(GROUP_ID).filter(String::isBlank).isPresent()) {
            errors.add(GROUP_ID.key() + ": must not be empty");
        }
        positive(errors, MAX_BATCH, conf.get(MAX_BATCH));
        positive(errors, MAX_IN_FLIGHT, conf.get(MAX_IN_FLIGHT));
        positive(errors, TOP_K, conf.get(TOP_K));
        positive(errors, PARALLELISM, conf.get(PARALLELISM));
        positive(errors, MAX_PIXELS, conf.get(MAX_PIXELS));
        if (conf.get(MAX_DECODED_BYTES).getBytes() <= 0) {
            errors.add(
                    String.format("%s: must be > 0 but was %s", MAX_DECODED_BYTES.key(), conf.get(MAX_DECODED_BYTES)));
        }
        if (conf.get(MAX_FRAME_BYTES).getBytes() <= 0
                || conf.get(MAX_FRAME_BYTES).getBytes() > Integer.MAX_VALUE) {
            errors.add(String.format(
                    "%s: must be > 0 and < 2 GiB but was %s", MAX_FRAME_BYTES.key(), conf.get(MAX_FRAME_BYTES)));
        }
        checkValueCapFitsTheSinks(errors, conf);
        checkKeyCapFitsTheSinks(errors, conf);
        if (conf.get(MAX_DELAY).isNegative() || conf.get(MAX_DELAY).isZero()) {
            errors.add(String.format("%s: must be > 0 but was %s", MAX_DELAY.key(), conf.get(MAX_DELAY)));
        }
        Duration interval = conf.get(CHECKPOINT_INTERVAL);
        if (interval.toMillis() < 10) {
            errors.add(String.format("%s: must be at least 10 ms but was %s", CHECKPOINT_INTERVAL.key(), interval));
        }
        try {
            CompressionLevel.parse(conf.get(LEVEL));
        } catch (IllegalArgumentException e) {
            errors.add(LEVEL.key() + ": " + e.getMessage());
        }
        if (conf.get(DELIVERY_GUARANTEE) == DeliveryGuarantee.EXACTLY_ONCE) {
            Duration timeout = conf.get(TRANSACTION_TIMEOUT);
            if (timeout.compareTo(interval.multipliedBy(2)) < 0) {
                errors.add(String.format(
                        "%s (%s) must be at least twice %s (%s): a transaction stays open for a whole"
                                + " checkpoint interval and must survive a restart",
                        TRANSACTION_TIMEOUT.key(), timeout, CHECKPOINT_INTERVAL.key(), interval));
            }
            if (conf.getOptional(TRANSACTIONAL_ID_PREFIX)
                    .filter(String::isBlank)
                    .isPresent()) {
                errors.add(TRANSACTIONAL_ID_PREFIX.key() + ": must not be empty with EXACTLY_ONCE");
            }
        }
        return withControlAndReuse(errors, conf);
    }

    /** {@code errors} plus the load controller's and the token-reuse cache's problems. */
    private static List<String> withControlAndReuse(List<String> errors, ReadableConfig conf) {
        errors.addAll(ControlOptions.validate(conf));
        errors.addAll(ReuseOptions.validate(conf));
        return errors;
    }

    /**
     * A frame within the value cap that cannot be labelled must reach the dead-letter topic whole:
     * the cap may not exceed what the sinks' producers accept (their {@code max.request.size},
     * from {@link #KAFKA_PROPERTIES}) less room for key, headers and framing. Larger values are
     * still dead-lettered, without their value.
     */
    private static void checkValueCapFitsTheSinks(List<String> errors, ReadableConfig conf) {
        int maxRequestSize;
        try {
            maxRequestSize = DeadLetterSerializationSchema.maxRequestSize(conf.get(KAFKA_PROPERTIES));
        } catch (IllegalArgumentException e) {
            errors.add(KAFKA_PROPERTIES.key() + ": " + e.getMessage());
            return;
        }
        long cap = conf.get(MAX_FRAME_BYTES).getBytes();
        long largest = DeadLetterSerializationSchema.largestWholeValue(maxRequestSize);
        if (cap > largest) {
            errors.add(String.format(
                    "%s (%d bytes) must be at most %d bytes: the sinks' max.request.size (%d bytes) less"
                            + " %d bytes for key, headers and framing, or a frame within the cap could"
                            + " not be dead-lettered whole; lower %s or raise max.request.size in %s"
                            + " (and the dead-letter topic's max.message.bytes)",
                    MAX_FRAME_BYTES.key(),
                    cap,
                    largest,
                    maxRequestSize,
                    DeadLetterSerializationSchema.KEY_AND_HEADERS_MARGIN,
                    MAX_FRAME_BYTES.key(),
                    KAFKA_PROPERTIES.key()));
        }
    }

    /**
     * The stream-id cap must let every label within it reach the labels topic (a label repeats the
     * id twice; a label the sink refuses fails the job on the same frame after every restart), and
     * leave room in the {@link DeadLetterSerializationSchema#KEY_AND_HEADERS_MARGIN} that whole
     * dead letters keep for key and headers.
     */
    private static void checkKeyCapFitsTheSinks(List<String> errors, ReadableConfig conf) {
        long cap = conf.get(MAX_KEY_BYTES).getBytes();
        long largestCap = DeadLetterSerializationSchema.KEY_AND_HEADERS_MARGIN / 2;
        if (cap <= 0 || cap > largestCap) {
            errors.add(String.format(
                    "%s: must be > 0 and at most %d bytes (half the %d bytes a dead letter keeps for key"
                            + " and headers) but was %s",
                    MAX_KEY_BYTES.key(),
                    largestCap,
                    DeadLetterSerializationSchema.KEY_AND_HEADERS_MARGIN,
                    conf.get(MAX_KEY_BYTES)));
            return;
        }
        int maxRequestSize;
        try {
            maxRequestSize = DeadLetterSerializationSchema.maxRequestSize(conf.get(KAFKA_PROPERTIES));
        } catch (IllegalArgumentException e) {
            return; // reported by the value-cap check
        }
        long label = LabelSerializationSchema.largestLabel(cap);
        if (label > maxRequestSize) {
            errors.add(String.format(
                    "%s (%d bytes): a label may take %d bytes (the stream id %d times, key and escaped"
                            + " JSON, plus %d bytes for the rest), above the sinks' max.request.size (%d"
                            + " bytes); lower %s or raise max.request.size in %s",
                    MAX_KEY_BYTES.key(),
                    cap,
                    label,
                    LabelSerializationSchema.BYTES_PER_KEY_BYTE,
                    LabelSerializationSchema.OTHER_FIELDS_MARGIN,
                    maxRequestSize,
                    MAX_KEY_BYTES.key(),
                    KAFKA_PROPERTIES.key()));
        }
    }

    private static void positive(List<String> errors, ConfigOption<?> option, long value) {
        if (value <= 0) {
            errors.add(String.format("%s: must be > 0 but was %d", option.key(), value));
        }
    }
}
