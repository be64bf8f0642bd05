package org.tocomstream.job.kafka;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.tocomstream.stream.LabelRecord;

/**
 * Writes a {@link LabelRecord} to the labels topic: key = the stream id (UTF-8), value = {@link
 * LabelRecord#toJson()}. The partition is left to the producer's key hash, so all labels of one
 * stream land in one partition in the order they were emitted. The record timestamp is left to the
 * producer (the send time): the capture time travels in the JSON.
 */
public final class LabelSerializationSchema
        implements KafkaRecordSerializationSchema<LabelRecord>, KafkaDatasetFacetProvider {

    private static final long serialVersionUID = 1L;

    /**
     * Most bytes one byte of the stream id takes in a label record: one in the record key and up to
     * six in the JSON's {@code stream} field, where a control character is escaped as a backslash,
     * 'u' and four hex digits.
     */
    public static final int BYTES_PER_KEY_BYTE = 1 + 6;

    /**
     * Room for the rest of a label record: its top-k entries, model id, level, numbers and Kafka's
     * framing, a few hundred bytes for a model with short class names; 64 KiB leaves a wide margin.
     */
    public static final int OTHER_FIELDS_MARGIN = 64 << 10;

    private final String topic;

    /** @param topic the labels topic */
    public LabelSerializationSchema(String topic) {
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    /**
     * An upper bound of the size of a label record whose stream id is at most {@code maxKeyBytes}
     * bytes, as the producer checks it against {@code max.request.size}.
     */
    public static long largestLabel(long maxKeyBytes) {
        return BYTES_PER_KEY_BYTE * maxKeyBytes + OTHER_FIELDS_MARGIN;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(LabelRecord label, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, null, label.stream().getBytes(StandardCharsets.UTF_8), label.toJson());
    }

    /**
     * The labels topic, for lineage and for the sink's {@code POOLING} transaction naming,
     * which lists the topic's open transactions to abort the lingering ones.
     */
    @Override
    public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
        return Optional.of(new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
    }
}
