package org.tocomstream.job.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.tocomstream.stream.DeadLetter;
import org.tocomstream.stream.FrameRecord;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.WireFormat;

class KafkaSchemasTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static ConsumerRecord<byte[], byte[]> consumerRecord(RecordHeaders headers, byte[] key, byte[] value) {
        return new ConsumerRecord<>(
                "frames",
                3,
                42L,
                1_700_000_000_123L,
                TimestampType.CREATE_TIME,
                -1,
                -1,
                key,
                value,
                headers,
                Optional.empty());
    }

    @Test
    void deserializerKeepsPositionTimestampKeyValueAndAllHeadersInOrder() throws Exception {
        RecordHeaders headers = new RecordHeaders();
        headers.add(WireFormat.FRAME_SEQ, utf8("7"));
        headers.add("x-repeat", utf8("a"));
        headers.add("x-null", null);
        headers.add("x-repeat", utf8("b"));
        List<FrameRecord> out = new ArrayList<>();
        new FrameDeserializationSchema()
                .deserialize(consumerRecord(headers, utf8("cam-1"), new byte[] {1, 2, 3}), collector(out));

        assertThat(out).hasSize(1);
        FrameRecord f = out.get(0);
        assertThat(f.position()).isEqualTo("frames-3@42");
        assertThat(f.timestamp()).isEqualTo(1_700_000_000_123L);
        assertThat(f.keyString()).isEqualTo("cam-1");
        assertThat(f.value()).containsExactly(1, 2, 3);
        assertThat(f.headers())
                .extracting(FrameRecord.Header::key)
                .containsExactly(WireFormat.FRAME_SEQ, "x-repeat", "x-null", "x-repeat");
        assertThat(f.header("x-repeat")).isEqualTo(utf8("b"));
        assertThat(f.header("x-null")).isNull();
    }

    @Test
    void deserializerPassesRecordsWithoutKeyValueOrHeaders() throws Exception {
        List<FrameRecord> out = new ArrayList<>();
        new FrameDeserializationSchema().deserialize(consumerRecord(new RecordHeaders(), null, null), collector(out));
        assertThat(out).singleElement().satisfies(f -> {
            assertThat(f.key()).isNull();
            assertThat(f.value()).isNull();
            assertThat(f.headers()).isEmpty();
        });
    }

    @Test
    void labelsAreKeyedByStreamWithJsonValue() {
        LabelRecord label = new LabelRecord(
                "cam-0",
                41,
                1_763_700_000_000L,
                List.of(new LabelRecord.Label("red_circle", 0.97)),
                new LabelRecord.Level("tome", "tome:4", null),
                "vit_demo@1a2b3c4d",
                8,
                31.5,
                140);
        ProducerRecord<byte[], byte[]> r = new LabelSerializationSchema("labels-x").serialize(label, null, 5L);

        assertThat(r.topic()).isEqualTo("labels-x");
        assertThat(r.partition()).isNull();
        assertThat(r.key()).isEqualTo(utf8("cam-0"));
        assertThat(LabelRecord.fromJson(r.value())).isEqualTo(label);
    }

    @Test
    void bothSinkSchemasNameTheirTopicForPooledTransactionNaming() {
        assertThat(topics(new LabelSerializationSchema("labels-x"))).containsExactly("labels-x");
        assertThat(topics(new DeadLetterSerializationSchema("dead-x"))).containsExactly("dead-x");
    }

    private static List<String> topics(KafkaDatasetFacetProvider schema) {
        Optional<KafkaDatasetFacet> facet = schema.getKafkaDatasetFacet();
        assertThat(facet).isPresent();
        assertThat(facet.get().getTopicIdentifier().getTopicPattern()).isNull();
        return facet.get().getTopicIdentifier().getTopics();
    }

    @Test
    void deadLettersAreTheOriginalRecordPlusAnErrorHeader() {
        FrameRecord original = new FrameRecord(
                "frames",
                0,
                9,
                1_700_000_000_000L,
                utf8("cam-2"),
                utf8("garbage"),
                List.of(
                        new FrameRecord.Header(WireFormat.FRAME_SEQ, utf8("3")),
                        new FrameRecord.Header(WireFormat.ERROR, utf8("old reason"))));
        ProducerRecord<byte[], byte[]> r = new DeadLetterSerializationSchema("dlq")
                .serialize(new DeadLetter(original, "not a JPEG or PNG image"), null, null);

        assertThat(r.topic()).isEqualTo("dlq");
        assertThat(r.key()).isEqualTo(utf8("cam-2"));
        assertThat(r.value()).isEqualTo(utf8("garbage"));
        assertThat(r.timestamp()).isEqualTo(1_700_000_000_000L);
        List<String> keys = new ArrayList<>();
        for (Header h : r.headers()) {
            keys.add(h.key());
        }
        assertThat(keys).containsExactly(WireFormat.FRAME_SEQ, WireFormat.ERROR, WireFormat.ERROR);
        assertThat(new String(r.headers().lastHeader(WireFormat.ERROR).value(), StandardCharsets.UTF_8))
                .isEqualTo("not a JPEG or PNG image");
    }

    @Test
    void deadLetterOfARecordWithoutKeyValueOrTimestamp() {
        FrameRecord original = new FrameRecord("frames", 0, 1, -1, null, null, List.of());
        ProducerRecord<byte[], byte[]> r =
                new DeadLetterSerializationSchema("dlq").serialize(new DeadLetter(original, "empty value"), null, null);
        assertThat(r.key()).isNull();
        assertThat(r.value()).isNull();
        assertThat(r.timestamp()).isNull();
        assertThat(r.headers().lastHeader(WireFormat.ERROR).value()).isEqualTo(utf8("empty value"));
    }

    @Test
    void aDeadLetterTooLargeForTheSinkIsWrittenWithoutItsValueAndSaysWhereItCameFrom() {
        byte[] twoMegabytes = new byte[2 << 20];
        FrameRecord original = new FrameRecord(
                "frames",
                4,
                123,
                1_700_000_000_000L,
                utf8("cam-7"),
                twoMegabytes,
                List.of(new FrameRecord.Header(WireFormat.FRAME_SEQ, utf8("5"))));
        ProducerRecord<byte[], byte[]> r = new DeadLetterSerializationSchema("dlq", 1 << 20)
                .serialize(new DeadLetter(original, "not a JPEG or PNG image"), null, null);

        assertThat(r.value()).isNull();
        assertThat(r.key()).isEqualTo(utf8("cam-7"));
        assertThat(r.timestamp()).isEqualTo(1_700_000_000_000L);
        assertThat(text(r, WireFormat.ORIGINAL_SIZE)).isEqualTo(Integer.toString(2 << 20));
        assertThat(text(r, WireFormat.ORIGINAL_TOPIC)).isEqualTo("frames");
        assertThat(text(r, WireFormat.ORIGINAL_PARTITION)).isEqualTo("4");
        assertThat(text(r, WireFormat.ORIGINAL_OFFSET)).isEqualTo("123");
        assertThat(text(r, WireFormat.FRAME_SEQ)).isEqualTo("5");
        assertThat(text(r, WireFormat.ERROR)).isEqualTo("not a JPEG or PNG image");
        assertThat(DeadLetterSerializationSchema.sizeUpperBound(r)).isLessThanOrEqualTo(1 << 20);
    }

    @Test
    void aDeadLetterJustWithinTheSinkLimitKeepsItsValue() {
        byte[] value = new byte[(1 << 20) - 4096];
        FrameRecord original = new FrameRecord("frames", 0, 1, 5L, utf8("cam-0"), value, List.of());
        ProducerRecord<byte[], byte[]> r = new DeadLetterSerializationSchema("dlq", 1 << 20)
                .serialize(new DeadLetter(original, "bad"), null, null);

        assertThat(r.value()).isSameAs(value);
        assertThat(r.headers().lastHeader(WireFormat.ORIGINAL_SIZE)).isNull();
    }

    @Test
    void aDeadLetterWhoseHeadersAloneAreTooLargeLosesThemButKeepsItsProvenanceAndReason() {
        List<FrameRecord.Header> huge = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            huge.add(new FrameRecord.Header("x-fuzz", new byte[256 << 10]));
        }
        FrameRecord original = new FrameRecord("frames", 2, 77, 5L, new byte[512 << 10], new byte[10], huge);
        ProducerRecord<byte[], byte[]> r = new DeadLetterSerializationSchema("dlq", 1 << 20)
                .serialize(new DeadLetter(original, "x".repeat(1 << 20)), null, null);

        assertThat(DeadLetterSerializationSchema.sizeUpperBound(r)).isLessThanOrEqualTo(1 << 20);
        assertThat(r.value()).isNull();
        assertThat(r.headers().lastHeader("x-fuzz")).isNull();
        assertThat(text(r, WireFormat.ORIGINAL_SIZE)).isEqualTo("10");
        assertThat(text(r, WireFormat.ORIGINAL_OFFSET)).isEqualTo("77");
        assertThat(text(r, WireFormat.ERROR)).startsWith("xxx");
    }

    @Test
    void theDeadLetterOfAFrameWhoseKeyAloneIsTooLargeLeavesTheKeyOutAndFits() {
        byte[] key = new byte[1_200_000];
        java.util.Arrays.fill(key, (byte) 'k');
        FrameRecord original = new FrameRecord(
                "frames",
                1,
                42,
                5L,
                key,
                new byte[3000],
                List.of(new FrameRecord.Header(WireFormat.FRAME_SEQ, utf8("0"))));
        String reason = "frames-1@42: key (the stream id) is 1200000 bytes, above the cap of 256"
                + " (vit.decode.max-key-bytes)";
        ProducerRecord<byte[], byte[]> r = new DeadLetterSerializationSchema("dlq", 1 << 20)
                .serialize(new DeadLetter(original, reason), null, null);

        assertThat(DeadLetterSerializationSchema.sizeUpperBound(r)).isLessThanOrEqualTo(1 << 20);
        assertThat(r.key()).isNull();
        assertThat(r.value()).isNull();
        assertThat(text(r, WireFormat.ERROR)).isEqualTo(reason);
        assertThat(text(r, WireFormat.ORIGINAL_SIZE)).isEqualTo("3000");
        assertThat(text(r, WireFormat.ORIGINAL_PARTITION)).isEqualTo("1");
        assertThat(text(r, WireFormat.ORIGINAL_OFFSET)).isEqualTo("42");
    }

    @Test
    void aKeyAtTheStreamIdCapLeavesAFrameAtTheValueCapWhole() {
        byte[] key = new byte[256];
        java.util.Arrays.fill(key, (byte) 'k');
        byte[] value = new byte[960 << 10];
        List<FrameRecord.Header> headers = List.of(
                new FrameRecord.Header(WireFormat.FRAME_SEQ, utf8("12345")),
                new FrameRecord.Header(WireFormat.CAPTURE_TS, utf8("1700000000000")),
                new FrameRecord.Header(WireFormat.CONTENT_TYPE, utf8("image/jpeg")));
        FrameRecord original = new FrameRecord("frames", 1, 42, 5L, key, value, headers);
        ProducerRecord<byte[], byte[]> r = new DeadLetterSerializationSchema("dlq", 1 << 20)
                .serialize(
                        new DeadLetter(original, "frames-1@42: cannot decode the image: " + "x".repeat(500)),
                        null,
                        null);

        assertThat(r.key()).isSameAs(key);
        assertThat(r.value()).isSameAs(value);
        assertThat(r.headers().lastHeader(WireFormat.ORIGINAL_SIZE)).isNull();
    }

    private static String text(ProducerRecord<byte[], byte[]> r, String header) {
        Header h = r.headers().lastHeader(header);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static <T> Collector<T> collector(List<T> out) {
        return new Collector<>() {
            @Override
            public void collect(T record) {
                out.add(record);
            }

            @Override
            public void close() {}
        };
    }
}
