package org.tocomstream.job.pipeline;

import java.time.Duration;
import java.util.Optional;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.tocomstream.job.kafka.KafkaTopics;

/**
 * Reconciles the exactly-once settings with the broker before the job starts: a producer whose
 * {@code transaction.timeout.ms} exceeds the broker's {@code transaction.max.timeout.ms} is refused
 * by the broker only when the sink first initialises its transactions, deep inside a task, as a
 * restart loop. Checking at submission turns that into one clear message.
 */
public final class DeliveryCheck {

    /** Broker setting capping producers' transaction timeouts (Kafka default 900000 ms). */
    public static final String BROKER_MAX_TIMEOUT = "transaction.max.timeout.ms";

    private DeliveryCheck() {}

    /** What the check found. */
    public record Result(Optional<String> error, Optional<String> warning) {}

    /**
     * With {@code EXACTLY_ONCE}, compares {@link StreamJobOptions#TRANSACTION_TIMEOUT} with the
     * broker's {@value #BROKER_MAX_TIMEOUT}. An error when it is larger; a warning when the broker
     * setting cannot be read (no describe-configs permission); nothing otherwise.
     */
    public static Result check(ReadableConfig conf, KafkaTopics topics) {
        if (conf.get(StreamJobOptions.DELIVERY_GUARANTEE) != DeliveryGuarantee.EXACTLY_ONCE) {
            return new Result(Optional.empty(), Optional.empty());
        }
        Duration timeout = conf.get(StreamJobOptions.TRANSACTION_TIMEOUT);
        Optional<String> max = topics.brokerSetting(BROKER_MAX_TIMEOUT);
        if (max.isEmpty()) {
            return new Result(
                    Optional.empty(),
                    Optional.of(String.format(
                            "could not read the broker's %s; make sure %s (%d ms) does not exceed it",
                            BROKER_MAX_TIMEOUT, StreamJobOptions.TRANSACTION_TIMEOUT.key(), timeout.toMillis())));
        }
        long maxMs;
        try {
            maxMs = Long.parseLong(max.get().trim());
        } catch (NumberFormatException e) {
            return new Result(
                    Optional.empty(), Optional.of("broker " + BROKER_MAX_TIMEOUT + " is not a number: " + max.get()));
        }
        if (timeout.toMillis() > maxMs) {
            return new Result(
                    Optional.of(String.format(
                            "%s is %d ms but the broker's %s is %d ms: the broker would refuse the sink's"
                                    + " transactions; lower %s (it must still exceed %s plus the time to restart)"
                                    + " or raise the broker setting",
                            StreamJobOptions.TRANSACTION_TIMEOUT.key(),
                            timeout.toMillis(),
                            BROKER_MAX_TIMEOUT,
                            maxMs,
                            StreamJobOptions.TRANSACTION_TIMEOUT.key(),
                            StreamJobOptions.CHECKPOINT_INTERVAL.key())),
                    Optional.empty());
        }
        return new Result(Optional.empty(), Optional.empty());
    }
}
