package org.tocomstream.job.kafka;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.tocomstream.stream.FrameRecord;

/**
 * Reads a frames-topic record whole: topic, partition, offset, record timestamp, key, value and
 * every header in record order. Nothing is checked here, so that a frame with a missing header or
 * an empty value still reaches the decode step, which routes it to the dead-letter topic with a
 * reason instead of failing the job.
 *
 * <pre>{@code
 * KafkaSource<FrameRecord> source = KafkaSource.<FrameRecord>builder()
 *         .setTopics("frames")
 *         .setDeserializer(new FrameDeserializationSchema())
 *         ...
 * }</pre>
 */
public final class FrameDeserializationSchema implements KafkaRecordDeserializationSchema<FrameRecord> {

    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<FrameRecord> out) {
        out.collect(toFrameRecord(record));
    }

    /** The record as a {@link FrameRecord}; headers keep their order and repeats. */
    public static FrameRecord toFrameRecord(ConsumerRecord<byte[], byte[]> record) {
        List<FrameRecord.Header> headers = new ArrayList<>();
        for (Header h : record.headers()) {
            headers.add(new FrameRecord.Header(h.key(), h.value()));
        }
        return new FrameRecord(
                record.topic(),
                record.partition(),
                record.offset(),
                record.timestamp(),
                record.key(),
                record.value(),
                headers);
    }

    @Override
    public TypeInformation<FrameRecord> getProducedType() {
        return TypeInformation.of(FrameRecord.class);
    }
}
