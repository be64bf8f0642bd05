package org.tocomstream.job.pipeline;

import java.util.Optional;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.tocomstream.job.kafka.DeadLetterSerializationSchema;
import org.tocomstream.job.kafka.KafkaTopics;

/**
 * Reconciles the dead-letter sink's size budget with the broker before the job starts. The
 * dead-letter schema writes a dead letter without its value when it would exceed the producer's
 * {@code max.request.size}; but the broker also refuses a batch larger than the topic's {@value
 * #TOPIC_LIMIT}, and such a refusal fails the job on the same record after every restart. So the
 * budget is the smaller of the two, read from the broker here and handed to the pipeline through
 * {@link #MAX_RECORD_BYTES}.
 *
 * <pre>{@code
 * DeadLetterLimit.Result limit = DeadLetterLimit.check(conf, topics);
 * limit.warning().ifPresent(LOG::warn);
 * limit.applyTo(conf); // before StreamPipeline.of(conf, stage)
 * }</pre>
 *
 * <p>The labels topic is not checked: a label is a stream id (twice, at most {@code
 * vit.decode.max-key-bytes} each) and a few top-k entries (hundreds of bytes), so a labels topic
 * too small for labels fails on the first one, not on a rare record.
 */
public final class DeadLetterLimit {

    /** Topic setting: the largest record batch the broker accepts for the topic. */
    public static final String TOPIC_LIMIT = "max.message.bytes";

    /** Broker setting: the {@value #TOPIC_LIMIT} of topics created without an override. */
    public static final String BROKER_LIMIT = "message.max.bytes";

    /**
     * The largest dead letter written whole, as the check at start found it. Not a flag: set by
     * {@link Result#applyTo}; when unset, the sinks' {@code max.request.size} alone.
     */
    public static final ConfigOption<Integer> MAX_RECORD_BYTES = ConfigOptions.key("kafka.dead-letter.max-record-bytes")
            .intType()
            .noDefaultValue()
            .withDescription("The largest dead letter written whole: the smaller of the sinks' max.request.size"
                    + " and the dead-letter topic's max.message.bytes, read from the broker when the job starts.");

    private DeadLetterLimit() {}

    /**
     * What the check found.
     *
     * @param budget the largest dead letter written whole, in bytes
     * @param line one line saying which limit applies and why, for the log
     * @param warning when the broker's limit could not be read
     * @param error when the topic accepts too little for even a dead letter without its value
     */
    public record Result(int budget, String line, Optional<String> warning, Optional<String> error) {

        /** Sets {@link #MAX_RECORD_BYTES} in {@code conf} for the pipeline built from it. */
        public void applyTo(Configuration conf) {
            conf.set(MAX_RECORD_BYTES, budget);
        }
    }

    /** The dead-letter schema's budget for {@code conf}: {@code max.request.size}, lowered by the check. */
    public static int budget(ReadableConfig conf) {
        int maxRequestSize = DeadLetterSerializationSchema.maxRequestSize(conf.get(StreamJobOptions.KAFKA_PROPERTIES));
        return Math.min(maxRequestSize, conf.getOptional(MAX_RECORD_BYTES).orElse(Integer.MAX_VALUE));
    }

    /**
     * Reads the dead-letter topic's effective {@value #TOPIC_LIMIT} (its override or the broker
     * default); when the topic does not exist yet, the broker's {@value #BROKER_LIMIT}, which a
     * topic created without overrides (also by auto-creation) takes.
     */
    public static Result check(ReadableConfig conf, KafkaTopics topics) {
        int maxRequestSize = DeadLetterSerializationSchema.maxRequestSize(conf.get(StreamJobOptions.KAFKA_PROPERTIES));
        String topic = conf.get(StreamJobOptions.DEAD_LETTER_TOPIC);
        Optional<String> value = topics.topicSetting(topic, TOPIC_LIMIT);
        if (value.isPresent()) {
            return choose(maxRequestSize, String.format("the %s of dead-letter topic '%s'", TOPIC_LIMIT, topic), value);
        }
        if (topics.partitions(topic).isEmpty()) {
            return choose(
                    maxRequestSize,
                    String.format(
                            "the broker's %s (dead-letter topic '%s' does not exist yet; a topic created"
                                    + " without an override takes it)",
                            BROKER_LIMIT, topic),
                    topics.brokerSetting(BROKER_LIMIT));
        }
        return choose(maxRequestSize, String.format("the %s of dead-letter topic '%s'", TOPIC_LIMIT, topic), value);
    }

    /**
     * The budget for a sink of {@code maxRequestSize} and a broker limit {@code limitName} of
     * {@code limitValue} (empty when it could not be read).
     */
    static Result choose(int maxRequestSize, String limitName, Optional<String> limitValue) {
        String request = ProducerConfig.MAX_REQUEST_SIZE_CONFIG;
        long limit;
        try {
            limit = limitValue.map(v -> Long.parseLong(v.trim())).orElse(-1L);
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 0) {
            return new Result(
                    maxRequestSize,
                    String.format(
                            "dead letters: written whole up to %d bytes, the sinks' %s (%s unknown)",
                            maxRequestSize, request, limitName),
                    Optional.of(String.format(
                            "could not read %s (DescribeConfigs permission?): if it is below the sinks' %s"
                                    + " (%d bytes), a larger dead letter is refused by the broker and fails"
                                    + " the job; make sure it is not, or lower %s in %s",
                            limitName, request, maxRequestSize, request, StreamJobOptions.KAFKA_PROPERTIES.key())),
                    Optional.empty());
        }
        if (limit < DeadLetterSerializationSchema.KEY_AND_HEADERS_MARGIN) {
            return new Result(
                    maxRequestSize,
                    "",
                    Optional.empty(),
                    Optional.of(String.format(
                            "%s is %d bytes, below the %d bytes a dead letter without its value may need"
                                    + " (key, headers, reason); raise it",
                            limitName, limit, DeadLetterSerializationSchema.KEY_AND_HEADERS_MARGIN)));
        }
        if (limit < maxRequestSize) {
            return new Result(
                    (int) limit,
                    String.format(
                            "dead letters: written whole up to %d bytes, %s (below the sinks' %s, %d bytes);"
                                    + " larger ones without their value",
                            limit, limitName, request, maxRequestSize),
                    Optional.empty(),
                    Optional.empty());
        }
        return new Result(
                maxRequestSize,
                String.format(
                        "dead letters: written whole up to %d bytes, the sinks' %s (%s is %d bytes);"
                                + " larger ones without their value",
                        maxRequestSize, request, limitName, limit),
                Optional.empty(),
                Optional.empty());
    }
}
