package org.tocomstream.job.kafka;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.tocomstream.stream.DeadLetter;
import org.tocomstream.stream.FrameRecord;
import org.tocomstream.stream.WireFormat;

/**
 * Writes a {@link DeadLetter} to the dead-letter topic as the original record: the same key,
 * value, timestamp and headers (order and repeats kept), plus one {@value WireFormat#ERROR} header
 * holding the reason in UTF-8. The error header is appended last, so a reader that takes the last
 * header of a name ({@link FrameRecord#header(String)}) sees this reason even for a record that
 * already carried one (a dead letter replayed into the frames topic).
 *
 * <p>Every dead letter is written: one the sink's producer would refuse (larger than its {@code
 * max.request.size}) is written without its value, with the headers {@value
 * WireFormat#ORIGINAL_SIZE}, {@value WireFormat#ORIGINAL_TOPIC}, {@value
 * WireFormat#ORIGINAL_PARTITION} and {@value WireFormat#ORIGINAL_OFFSET} before the reason. If
 * the key and headers alone are still too large, the original headers are left out too, then the
 * reason is shortened and the key left out: the provenance headers still locate the frame.
 *
 * <pre>{@code
 * KafkaSink.<DeadLetter>builder()
 *         .setRecordSerializer(new DeadLetterSerializationSchema("frames-dead-letter", 1 << 20))
 *         ...
 * }</pre>
 */
public final class DeadLetterSerializationSchema
        implements KafkaRecordSerializationSchema<DeadLetter>, KafkaDatasetFacetProvider {

    private static final long serialVersionUID = 1L;

    /** The Kafka producer's default {@code max.request.size}: 1 MiB. */
    public static final int DEFAULT_MAX_REQUEST_SIZE = 1 << 20;

    /**
     * Room for everything but the value when a frame is dead-lettered whole: its key (a stream id),
     * its headers (the wire format's are a few dozen bytes; producers may add tracing headers), our
     * reason header and Kafka's record and batch framing (under 100 bytes). 64 KiB covers them
     * with a wide margin while costing frames only 6 % of the default 1 MiB request.
     */
    public static final int KEY_AND_HEADERS_MARGIN = 64 << 10;

    /**
     * Kafka's framing of a one-record batch, as the producer estimates it before its size check:
     * batch header (61 bytes) plus the record's length, attributes, timestamp and offset deltas,
     * key and value lengths and header count (at most 21 + 3 × 5 bytes of varints); rounded up.
     */
    private static final int FRAMING_BYTES = 128;

    /** Two varints per header: the lengths of its key and its value. */
    private static final int BYTES_PER_HEADER = 10;

    /** Longest reason kept when even the key and headers do not fit. */
    private static final int SHORT_REASON_CHARS = 1024;

    private final String topic;
    private final int maxRequestSize;

    /** A schema for a sink on the producer's default {@code max.request.size}. */
    public DeadLetterSerializationSchema(String topic) {
        this(topic, DEFAULT_MAX_REQUEST_SIZE);
    }

    /**
     * @param topic the dead-letter topic
     * @param maxRequestSize the sink producer's {@code max.request.size}; at least {@link
     *     #KEY_AND_HEADERS_MARGIN}
     */
    public DeadLetterSerializationSchema(String topic, int maxRequestSize) {
        this.topic = Objects.requireNonNull(topic, "topic");
        if (maxRequestSize < KEY_AND_HEADERS_MARGIN) {
            throw new IllegalArgumentException(String.format(
                    "%s must be at least %d bytes for dead letters but was %d",
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG, KEY_AND_HEADERS_MARGIN, maxRequestSize));
        }
        this.maxRequestSize = maxRequestSize;
    }

    /**
     * The {@code max.request.size} of a producer made with {@code kafkaProperties}: the value set
     * there, else Kafka's default.
     *
     * @throws IllegalArgumentException naming {@code max.request.size} when it is not a positive
     *     integer
     */
    public static int maxRequestSize(Map<String, String> kafkaProperties) {
        String raw = kafkaProperties.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        if (raw == null) {
            return DEFAULT_MAX_REQUEST_SIZE;
        }
        try {
            int size = Integer.parseInt(raw.trim());
            if (size > 0) {
                return size;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(String.format(
                "%s must be a positive integer (bytes) but was '%s'", ProducerConfig.MAX_REQUEST_SIZE_CONFIG, raw));
    }

    /** The largest value a sink with {@code maxRequestSize} is sure to write whole. */
    public static long largestWholeValue(int maxRequestSize) {
        return (long) maxRequestSize - KEY_AND_HEADERS_MARGIN;
    }

    /**
     * An upper bound of the size Kafka's producer checks against {@code max.request.size} for
     * {@code record} (uncompressed: the producer checks before compressing).
     */
    public static long sizeUpperBound(ProducerRecord<byte[], byte[]> record) {
        long size = FRAMING_BYTES + length(record.key()) + length(record.value());
        for (Header h : record.headers()) {
            size += BYTES_PER_HEADER + h.key().getBytes(StandardCharsets.UTF_8).length + length(h.value());
        }
        return size;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter letter, KafkaSinkContext context, Long timestamp) {
        FrameRecord original = letter.original();
        String reason = letter.reason() == null ? "unknown error" : letter.reason();
        RecordHeaders headers = new RecordHeaders();
        copyHeaders(original, headers);
        headers.add(WireFormat.ERROR, utf8(reason));
        ProducerRecord<byte[], byte[]> whole = record(original, original.key(), original.value(), headers);
        if (sizeUpperBound(whole) <= maxRequestSize) {
            return whole;
        }
        ProducerRecord<byte[], byte[]> noValue = withoutValue(original, original.key(), true, reason);
        if (sizeUpperBound(noValue) <= maxRequestSize) {
            return noValue;
        }
        ProducerRecord<byte[], byte[]> noHeaders = withoutValue(original, original.key(), false, reason);
        if (sizeUpperBound(noHeaders) <= maxRequestSize) {
            return noHeaders;
        }
        String shortReason = reason.length() <= SHORT_REASON_CHARS ? reason : reason.substring(0, SHORT_REASON_CHARS);
        ProducerRecord<byte[], byte[]> shortened = withoutValue(original, original.key(), false, shortReason);
        if (sizeUpperBound(shortened) <= maxRequestSize) {
            return shortened;
        }
        // Provenance and a short reason: a few kilobytes, always under the minimum request size.
        return withoutValue(original, null, false, shortReason);
    }

    /**
     * The dead-letter topic, for lineage and for the sink's {@code POOLING} transaction naming,
     * which lists the topic's open transactions to abort the lingering ones.
     */
    @Override
    public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
        return Optional.of(new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
    }

    private ProducerRecord<byte[], byte[]> withoutValue(
            FrameRecord original, byte[] key, boolean keepHeaders, String reason) {
        RecordHeaders headers = new RecordHeaders();
        if (keepHeaders) {
            copyHeaders(original, headers);
        }
        headers.add(WireFormat.ORIGINAL_SIZE, utf8(Integer.toString(length(original.value()))));
        headers.add(WireFormat.ORIGINAL_TOPIC, utf8(String.valueOf(original.topic())));
        headers.add(WireFormat.ORIGINAL_PARTITION, utf8(Integer.toString(original.partition())));
        headers.add(WireFormat.ORIGINAL_OFFSET, utf8(Long.toString(original.offset())));
        headers.add(WireFormat.ERROR, utf8(reason));
        return record(original, key, null, headers);
    }

    private ProducerRecord<byte[], byte[]> record(FrameRecord original, byte[] key, byte[] value, RecordHeaders h) {
        // A negative timestamp (none in the original) is not accepted by the producer: let it stamp.
        Long ts = original.timestamp() >= 0 ? original.timestamp() : null;
        return new ProducerRecord<>(topic, null, ts, key, value, h);
    }

    private static void copyHeaders(FrameRecord original, RecordHeaders headers) {
        for (FrameRecord.Header h : original.headers()) {
            headers.add(h.key(), h.value());
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }
}
