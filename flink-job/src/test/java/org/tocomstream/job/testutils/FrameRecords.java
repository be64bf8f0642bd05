package org.tocomstream.job.testutils;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.WireFormat;

/** Frames-topic records in the wire format, and checks on what the job wrote back. */
public final class FrameRecords {

    private FrameRecords() {}

    /** A well-formed frame: key, value, {@code frame-seq}, {@code capture-ts} = record timestamp. */
    public static ProducerRecord<byte[], byte[]> frame(String topic, String stream, long seq, byte[] value) {
        long now = System.currentTimeMillis();
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, null, now, utf8(stream), value);
        r.headers().add(WireFormat.FRAME_SEQ, utf8(Long.toString(seq)));
        r.headers().add(WireFormat.CAPTURE_TS, utf8(Long.toString(now)));
        return r;
    }

    /** A frame without the {@code frame-seq} header. */
    public static ProducerRecord<byte[], byte[]> withoutSeq(String topic, String stream, byte[] value) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, utf8(stream), value);
        r.headers().add("x-test", utf8("missing-seq"));
        return r;
    }

    public static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    public static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : text(h.value());
    }

    /** Label records by stream, each in topic order (partition, then offset). */
    public static Map<String, List<LabelRecord>> labelsByStream(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.stream()
                .sorted(Comparator.comparingInt(ConsumerRecord<byte[], byte[]>::partition)
                        .thenComparingLong(ConsumerRecord::offset))
                .collect(Collectors.groupingBy(
                        r -> text(r.key()),
                        LinkedHashMap::new,
                        Collectors.mapping(r -> LabelRecord.fromJson(r.value()), Collectors.toList())));
    }

    /**
     * Asserts every label record is keyed by its stream, and that each stream's labels are exactly
     * frames {@code 0..perStream-1}, once each, in order.
     */
    public static void assertExactlyOnceInOrder(
            List<ConsumerRecord<byte[], byte[]>> records, List<String> streams, int perStream) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
            assertThat(LabelRecord.fromJson(r.value()).stream()).isEqualTo(text(r.key()));
        }
        Map<String, List<LabelRecord>> byStream = labelsByStream(records);
        assertThat(byStream).containsOnlyKeys(streams);
        List<Long> expected =
                java.util.stream.LongStream.range(0, perStream).boxed().collect(Collectors.toList());
        byStream.forEach((stream, labels) -> assertThat(labels)
                .as("labels of %s in topic order", stream)
                .extracting(LabelRecord::seq)
                .containsExactlyElementsOf(expected));
    }
}
