package org.tocomstream.job.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
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
 */
public final class DeadLetterSerializationSchema implements KafkaRecordSerializationSchema<DeadLetter> {

    private static final long serialVersionUID = 1L;

    private final String topic;

    /** @param topic the dead-letter topic */
    public DeadLetterSerializationSchema(String topic) {
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter letter, KafkaSinkContext context, Long timestamp) {
        FrameRecord original = letter.original();
        RecordHeaders headers = new RecordHeaders();
        for (FrameRecord.Header h : original.headers()) {
            headers.add(h.key(), h.value());
        }
        String reason = letter.reason() == null ? "unknown error" : letter.reason();
        headers.add(WireFormat.ERROR, reason.getBytes(StandardCharsets.UTF_8));
        // A negative timestamp (none in the original) is not accepted by the producer: let it stamp.
        Long ts = original.timestamp() >= 0 ? original.timestamp() : null;
        return new ProducerRecord<>(topic, null, ts, original.key(), original.value(), headers);
    }
}
