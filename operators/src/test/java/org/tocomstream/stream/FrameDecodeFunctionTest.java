package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec.PreprocessConfig;
import org.tocomstream.stream.FrameRecord.Header;
import org.tocomstream.stream.testutils.Images;

class FrameDecodeFunctionTest {

    private static final PreprocessConfig PRE = PreprocessConfig.deitEval(32);
    private static final byte[] PNG = Images.encoded("png", 40, 30);
    private static final byte[] JPEG = Images.encoded("jpeg", 48, 36);

    private OneInputStreamOperatorTestHarness<FrameRecord, DecodedFrame> harness;
    private FrameDecodeFunction function;
    private long offset;

    @BeforeEach
    void open() throws Exception {
        function = new FrameDecodeFunction(PRE, new DecodeConfig(100_000, 60 * 60));
        harness = ProcessFunctionTestHarnesses.forProcessFunction(function);
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    private static Header header(String key, String value) {
        return new Header(key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    private FrameRecord record(String key, byte[] value, long timestamp, Header... headers) {
        return new FrameRecord(
                "frames",
                0,
                offset++,
                timestamp,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value,
                Arrays.asList(headers));
    }

    private FrameRecord good(String stream, long seq, byte[] value) {
        return record(
                stream,
                value,
                5000,
                header(WireFormat.FRAME_SEQ, Long.toString(seq)),
                header(WireFormat.CAPTURE_TS, "1700000000000"));
    }

    private void process(FrameRecord record) throws Exception {
        harness.processElement(new StreamRecord<>(record, record.timestamp()));
    }

    private List<DeadLetter> deadLetters() {
        List<DeadLetter> out = new ArrayList<>();
        var side = harness.getSideOutput(FrameDecodeFunction.DEAD_LETTERS);
        if (side != null) {
            side.forEach(r -> out.add(r.getValue()));
        }
        return out;
    }

    /** Processes one record that must be dead-lettered and returns the reason. */
    private String reasonFor(FrameRecord record) throws Exception {
        int before = deadLetters().size();
        process(record);
        List<DeadLetter> dead = deadLetters();
        assertThat(dead).hasSize(before + 1);
        DeadLetter letter = dead.get(dead.size() - 1);
        assertUnchanged(letter.original(), record);
        assertThat(letter.reason()).startsWith(record.position() + ": ").doesNotContain("\n");
        return letter.reason();
    }

    /** The dead letter carries the record as read (the harness hands back a serialized copy). */
    private static void assertUnchanged(FrameRecord actual, FrameRecord expected) {
        assertThat(actual.position()).isEqualTo(expected.position());
        assertThat(actual.timestamp()).isEqualTo(expected.timestamp());
        assertThat(actual.key()).isEqualTo(expected.key());
        assertThat(actual.value()).isEqualTo(expected.value());
        assertThat(actual.headers()).hasSameSizeAs(expected.headers());
        for (int i = 0; i < expected.headers().size(); i++) {
            assertThat(actual.headers().get(i).key())
                    .isEqualTo(expected.headers().get(i).key());
            assertThat(actual.headers().get(i).value())
                    .isEqualTo(expected.headers().get(i).value());
        }
    }

    @Nested
    class GoodFrames {

        @Test
        void pngAndJpegBecomeTheModelInput() throws Exception {
            process(good("cam-1", 7, PNG));
            process(record(
                    "cam-2",
                    JPEG,
                    5000,
                    header(WireFormat.FRAME_SEQ, "8"),
                    header(WireFormat.CONTENT_TYPE, "image/jpeg")));

            List<DecodedFrame> frames = harness.extractOutputValues();
            assertThat(frames).hasSize(2);
            ImagePreprocessor pre = new ImagePreprocessor(PRE);
            assertThat(frames.get(0).stream()).isEqualTo("cam-1");
            assertThat(frames.get(0).seq()).isEqualTo(7);
            assertThat(frames.get(0).captureTs()).isEqualTo(1_700_000_000_000L);
            assertThat(frames.get(0).pixels()).containsExactly(pre.preprocess(PNG));
            assertThat(frames.get(1).pixels()).hasSize(3 * 32 * 32).containsExactly(pre.preprocess(JPEG));
            assertThat(deadLetters()).isEmpty();
        }

        @Test
        void aMissingCaptureTimeIsTheRecordTimestamp() throws Exception {
            process(record("cam-1", PNG, 4321, header(WireFormat.FRAME_SEQ, "0")));
            assertThat(harness.extractOutputValues())
                    .singleElement()
                    .extracting(DecodedFrame::captureTs)
                    .isEqualTo(4321L);
        }

        @Test
        void aCaptureTimeInSecondsOrFarAheadIsKeptButTheAgeRunsFromTheReadTime() throws Exception {
            long now = 1_700_000_100_000L;
            harness.setProcessingTime(now);
            process(record(
                    "cam-1",
                    PNG,
                    5000,
                    header(WireFormat.FRAME_SEQ, "0"),
                    header(WireFormat.CAPTURE_TS, "1700000000")));
            process(record(
                    "cam-1",
                    PNG,
                    5000,
                    header(WireFormat.FRAME_SEQ, "1"),
                    header(WireFormat.CAPTURE_TS, "1700000200000")));
            process(record(
                    "cam-1",
                    PNG,
                    5000,
                    header(WireFormat.FRAME_SEQ, "2"),
                    header(WireFormat.CAPTURE_TS, "1700000130000")));
            process(good("cam-1", 3, PNG));

            List<DecodedFrame> frames = harness.extractOutputValues();
            assertThat(frames)
                    .extracting(DecodedFrame::captureTs)
                    .as("as sent")
                    .containsExactly(1_700_000_000L, 1_700_000_200_000L, 1_700_000_130_000L, 1_700_000_000_000L);
            assertThat(frames)
                    .extracting(DecodedFrame::ageFromTs)
                    .as("seconds, 100 s ahead: from the read time; 30 s ahead and 100 s old: as sent")
                    .containsExactly(now, now, 1_700_000_130_000L, 1_700_000_000_000L);
            assertThat(frames).extracting(DecodedFrame::captureTsTrusted).containsExactly(false, false, true, true);
            assertThat(function.untrustedCaptureTimes().getCount()).isEqualTo(2);
            assertThat(deadLetters()).isEmpty();
        }

        @Test
        void contentTypeIsCaseInsensitiveAndMayHaveParameters() throws Exception {
            process(record(
                    "cam-1",
                    PNG,
                    1,
                    header(WireFormat.FRAME_SEQ, "0"),
                    header(WireFormat.CONTENT_TYPE, "Image/PNG; charset=binary")));
            assertThat(harness.extractOutputValues()).hasSize(1);
        }

        @Test
        void theLastOfRepeatedHeadersCounts() throws Exception {
            process(record("cam-1", PNG, 1, header(WireFormat.FRAME_SEQ, "x"), header(WireFormat.FRAME_SEQ, "12")));
            assertThat(harness.extractOutputValues())
                    .singleElement()
                    .extracting(DecodedFrame::seq)
                    .isEqualTo(12L);
        }
    }

    @Nested
    class BadFrames {

        @Test
        void noKey() throws Exception {
            assertThat(reasonFor(record(null, PNG, 1, header(WireFormat.FRAME_SEQ, "0"))))
                    .isEqualTo("frames-0@0: no key (the stream id)");
        }

        @Test
        void emptyKey() throws Exception {
            assertThat(reasonFor(record("", PNG, 1, header(WireFormat.FRAME_SEQ, "0"))))
                    .contains("empty key");
        }

        @Test
        void keyThatIsNotUtf8() throws Exception {
            FrameRecord r = new FrameRecord(
                    "frames",
                    2,
                    9,
                    1,
                    new byte[] {(byte) 0xff, (byte) 0xfe},
                    PNG,
                    List.of(header(WireFormat.FRAME_SEQ, "0")));
            assertThat(reasonFor(r)).isEqualTo("frames-2@9: key (the stream id) is not valid UTF-8");
        }

        @Test
        void emptyOrNullValue() throws Exception {
            assertThat(reasonFor(record("cam-1", new byte[0], 1, header(WireFormat.FRAME_SEQ, "0"))))
                    .contains("empty value");
            assertThat(reasonFor(record("cam-1", null, 1, header(WireFormat.FRAME_SEQ, "0"))))
                    .contains("empty value");
        }

        @Test
        void valueAboveTheByteCap() throws Exception {
            byte[] big = new byte[100_001];
            assertThat(reasonFor(record("cam-1", big, 1, header(WireFormat.FRAME_SEQ, "0"))))
                    .contains("value is 100001 bytes, above the cap of 100000 (vit.decode.max-value-bytes)");
        }

        @Test
        void imageAboveTheDecodeBudgetNamesTheSetting() throws Exception {
            FrameRecord r = good("cam-1", 0, PNG);
            FrameDecodeFunction small = new FrameDecodeFunction(PRE, new DecodeConfig(100_000, 60 * 60, 1000));
            try (OneInputStreamOperatorTestHarness<FrameRecord, DecodedFrame> h =
                    ProcessFunctionTestHarnesses.forProcessFunction(small)) {
                h.processElement(new StreamRecord<>(r, r.timestamp()));

                assertThat(h.extractOutputValues()).isEmpty();
                assertThat(h.getSideOutput(FrameDecodeFunction.DEAD_LETTERS))
                        .singleElement()
                        .extracting(letter -> letter.getValue().reason())
                        .isEqualTo(r.position() + ": cannot decode the image: png image is 40 x 30 (24 bits per"
                                + " pixel decoded): decoding takes 7200 bytes, above the decode budget of 1000"
                                + " bytes (vit.decode.max-decoded-bytes)");
            }
        }

        @Test
        void missingFrameSeq() throws Exception {
            assertThat(reasonFor(record("cam-1", PNG, 1))).endsWith(": missing header frame-seq");
        }

        @Test
        void malformedFrameSeq() throws Exception {
            for (String bad :
                    List.of("abc", "-1", "+3", " 4", "1.5", "", "9223372036854775808", "99999999999999999999")) {
                assertThat(reasonFor(record("cam-1", PNG, 1, header(WireFormat.FRAME_SEQ, bad))))
                        .as(bad)
                        .contains("header frame-seq is not a non-negative decimal integer: '");
            }
            FrameRecord nullValue = record("cam-1", PNG, 1, header(WireFormat.FRAME_SEQ, null));
            assertThat(reasonFor(nullValue)).contains("missing header frame-seq");
        }

        @Test
        void malformedCaptureTs() throws Exception {
            assertThat(reasonFor(record(
                            "cam-1",
                            PNG,
                            1,
                            header(WireFormat.FRAME_SEQ, "0"),
                            header(WireFormat.CAPTURE_TS, "2025-01-01T00:00:00Z"))))
                    .contains("header capture-ts is not a non-negative decimal epoch-ms time:"
                            + " '2025-01-01T00:00:00Z'");
        }

        @Test
        void noCaptureTsAndNoRecordTimestamp() throws Exception {
            assertThat(reasonFor(record("cam-1", PNG, -1, header(WireFormat.FRAME_SEQ, "0"))))
                    .contains("missing header capture-ts and no record timestamp");
        }

        @Test
        void unsupportedContentType() throws Exception {
            assertThat(reasonFor(record(
                            "cam-1",
                            PNG,
                            1,
                            header(WireFormat.FRAME_SEQ, "0"),
                            header(WireFormat.CONTENT_TYPE, "image/gif"))))
                    .contains("unsupported header content-type 'image/gif'; supported: image/jpeg," + " image/png");
        }

        @Test
        void imageAboveThePixelCap() throws Exception {
            // The cap here is 3600 pixels; 80 x 60 = 4800.
            byte[] large = Images.encoded("png", 80, 60);
            assertThat(reasonFor(good("cam-1", 0, large)))
                    .contains(
                            "cannot decode the image: png image is 80 x 60 = 4800 pixels, above" + " the cap of 3600");
        }

        @Test
        void undecodableBytes() throws Exception {
            assertThat(reasonFor(good("cam-1", 0, "not an image".getBytes(StandardCharsets.UTF_8))))
                    .contains("cannot decode the image: unrecognised image format");
            byte[] truncated = Arrays.copyOf(JPEG, JPEG.length / 2);
            assertThat(reasonFor(good("cam-1", 1, truncated))).contains("cannot decode the image");
        }

        @Test
        void controlCharactersInAHeaderStayOnOneLine() throws Exception {
            assertThat(reasonFor(record("cam-1", PNG, 1, header(WireFormat.FRAME_SEQ, "1\n2"))))
                    .contains("'1\\x0a2'");
        }
    }

    @Test
    void badFramesAreCountedAndTheGoodOnesAroundThemStillPass() throws Exception {
        process(good("cam-1", 0, PNG));
        process(record("cam-1", PNG, 1)); // no frame-seq
        process(good("cam-1", 2, new byte[] {1, 2, 3}));
        process(good("cam-1", 3, JPEG));

        assertThat(harness.extractOutputValues()).extracting(DecodedFrame::seq).containsExactly(0L, 3L);
        assertThat(deadLetters()).hasSize(2);
        // Output timestamps are the input records' timestamps.
        assertThat(harness.extractOutputStreamRecords())
                .extracting(StreamRecord::getTimestamp)
                .containsExactly(5000L, 5000L);
    }

    @Test
    void theCountersCountDeadLettersAndDecodedFrames() throws Exception {
        process(record(null, PNG, 1));
        process(good("cam-1", 0, PNG));
        process(record("cam-1", PNG, 1));

        assertThat(function.deadLetteredFrames().getCount()).isEqualTo(2);
        assertThat(function.decodedFrames().getCount()).isEqualTo(1);
    }
}
