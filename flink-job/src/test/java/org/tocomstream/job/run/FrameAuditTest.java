package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.WireFormat;

/** {@link FrameAudit} on in-memory records: how labels and dead letters are matched to frames. */
class FrameAuditTest {

    private static int labelOffset;
    private static int deadOffset;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A frame at frames-0@{@code offset} of {@code stream} with frame-seq headers {@code seqs} (last wins). */
    private static ConsumerRecord<byte[], byte[]> frame(long offset, String stream, String... seqs) {
        ConsumerRecord<byte[], byte[]> r =
                new ConsumerRecord<>("frames", 0, offset, stream == null ? null : utf8(stream), new byte[] {1});
        for (String seq : seqs) {
            r.headers().add(new RecordHeader(WireFormat.FRAME_SEQ, utf8(seq)));
        }
        return r;
    }

    private static ConsumerRecord<byte[], byte[]> hostile(
            ConsumerRecord<byte[], byte[]> r, String kind, String expect) {
        r.headers().add(new RecordHeader(HostileFrames.ID, utf8(Long.toString(r.offset()))));
        r.headers().add(new RecordHeader(HostileFrames.KIND, utf8(kind)));
        r.headers().add(new RecordHeader(HostileFrames.EXPECT, utf8(expect)));
        return r;
    }

    private static ConsumerRecord<byte[], byte[]> label(String stream, long seq) {
        LabelRecord l = new LabelRecord(
                stream,
                seq,
                0,
                List.of(new LabelRecord.Label("a", 0.9)),
                new LabelRecord.Level("merge", "fixed", null),
                "m",
                1,
                1.0,
                5);
        return new ConsumerRecord<>("labels", 0, labelOffset++, utf8(stream), l.toJson());
    }

    private static ConsumerRecord<byte[], byte[]> dead(String error, String... original) {
        ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>("dlq", 0, deadOffset++, null, null);
        if (original.length == 3) {
            r.headers().add(new RecordHeader(WireFormat.ORIGINAL_TOPIC, utf8(original[0])));
            r.headers().add(new RecordHeader(WireFormat.ORIGINAL_PARTITION, utf8(original[1])));
            r.headers().add(new RecordHeader(WireFormat.ORIGINAL_OFFSET, utf8(original[2])));
        }
        if (error != null) {
            r.headers().add(new RecordHeader(WireFormat.ERROR, utf8(error)));
        }
        return r;
    }

    @Test
    void everyFrameAnsweredOnceByLabelOrDeadLetterPasses() {
        FrameAudit audit = new FrameAudit();
        audit.frame(frame(0, "cam-0", "x7", "0"));
        audit.frame(frame(1, "cam-1", "1"));
        audit.frame(frame(2, null, "2"));
        assertThat(audit.allAnswered()).isFalse();
        audit.label(label("cam-0", 0));
        audit.label(label("cam-1", 1));
        audit.deadLetter(dead("frames-0@2: no key (the stream id)"));
        assertThat(audit.allAnswered()).isTrue();
        FrameAudit.Report r = audit.report();
        assertThat(r.summaryLine())
                .isEqualTo(
                        "audit: sent=3 labelled=2 dead-lettered=1 lost=0 duplicated=0 unknown=0 wrong=0 ambiguous=0");
        assertThat(r.passed()).isTrue();
        assertThat(r.byReason()).containsExactly(java.util.Map.entry("no key (the stream id)", 1));
    }

    @Test
    void aFrameWithoutAnswerIsLostAndOneWithTwoIsDuplicated() {
        FrameAudit audit = new FrameAudit();
        audit.frame(frame(0, "cam-0", "0"));
        audit.frame(frame(1, "cam-0", "1"));
        audit.label(label("cam-0", 1));
        audit.deadLetter(dead("frames-0@1: cannot decode the image: truncated"));
        FrameAudit.Report r = audit.report();
        assertThat(r.lost()).isEqualTo(1);
        assertThat(r.duplicated()).isEqualTo(1);
        assertThat(r.passed()).isFalse();
        assertThat(r.problems()).anyMatch(p -> p.startsWith("frame frames-0@0: 0 answers"));
        assertThat(r.problems()).anyMatch(p -> p.startsWith("frame frames-0@1: 2 answers"));
    }

    @Test
    void answersMatchingNoFrameAreUnknown() {
        FrameAudit audit = new FrameAudit();
        audit.frame(frame(0, "cam-0", "0"));
        audit.label(label("cam-0", 0));
        audit.label(label("cam-0", 9));
        audit.label(label("cam-9", 0));
        audit.deadLetter(dead("frames-0@5: empty value (no image)"));
        audit.deadLetter(dead(null));
        audit.label(new ConsumerRecord<>("labels", 0, 99, null, utf8("not json")));
        FrameAudit.Report r = audit.report();
        assertThat(r.unknown()).isEqualTo(5);
        assertThat(r.lost()).isZero();
        assertThat(r.duplicated()).isZero();
        assertThat(r.labelled()).isEqualTo(4);
        assertThat(r.deadLettered()).isEqualTo(2);
        assertThat(r.passed()).isFalse();
    }

    @Test
    void aLabelMatchesByTheSeqTheJobReadsNotAnEarlierHeader() {
        FrameAudit audit = new FrameAudit();
        audit.frame(frame(0, "cam-0", "3", "4"));
        audit.label(label("cam-0", 3));
        FrameAudit.Report r = audit.report();
        assertThat(r.unknown()).isEqualTo(1);
        assertThat(r.lost()).isEqualTo(1);
    }

    @Test
    void aDeadLetterMatchesByItsOriginalHeadersWhenItsReasonHasNoPosition() {
        FrameAudit audit = new FrameAudit();
        audit.frame(frame(0, "cam-0", "0"));
        audit.frame(frame(7, "cam-0", "7"));
        audit.deadLetter(dead("value is too large", "frames", "0", "7"));
        audit.label(label("cam-0", 0));
        FrameAudit.Report r = audit.report();
        assertThat(r.passed()).as("%s", r.problems()).isTrue();
        assertThat(r.deadLettered()).isEqualTo(1);
    }

    @Test
    void answersAgainstTheHostileExpectationAreWrongAndCountedByKind() {
        FrameAudit audit = new FrameAudit();
        audit.frame(hostile(frame(0, "cam-0", "0"), "jpeg", "label"));
        audit.frame(hostile(frame(1, "cam-1", "1"), "type-gif", "dead"));
        audit.frame(hostile(frame(2, "cam-2", "2"), "jpeg-truncated", "either"));
        audit.deadLetter(dead("frames-0@0: cannot decode the image: bad"));
        audit.label(label("cam-1", 1));
        audit.label(label("cam-2", 2));
        FrameAudit.Report r = audit.report();
        assertThat(r.wrong()).isEqualTo(2);
        assertThat(r.byKind().get("jpeg")).isEqualTo(new FrameAudit.KindCounts(0, 1, 0, 0, 1));
        assertThat(r.byKind().get("jpeg-truncated")).isEqualTo(new FrameAudit.KindCounts(1, 0, 0, 0, 0));
        assertThat(r.byReason()).containsKey("decode: bad");
        assertThat(r.passed()).isFalse();
    }

    @Test
    void aDeadLetterWithAnotherFramesHostileIdIsWrong() {
        FrameAudit audit = new FrameAudit();
        audit.frame(hostile(frame(0, "cam-0", "0"), "type-gif", "dead"));
        ConsumerRecord<byte[], byte[]> d = dead("frames-0@0: unsupported header content-type");
        d.headers().add(new RecordHeader(HostileFrames.ID, utf8("5")));
        audit.deadLetter(d);
        assertThat(audit.report().wrong()).isEqualTo(1);
    }

    @Test
    void framesSharingStreamAndSeqAreAmbiguousAndLabelsGoToTheFirstUnlabelled() {
        FrameAudit audit = new FrameAudit();
        audit.frame(frame(0, "cam-0", "0"));
        audit.frame(frame(1, "cam-0", "0"));
        audit.label(label("cam-0", 0));
        audit.label(label("cam-0", 0));
        FrameAudit.Report r = audit.report();
        assertThat(r.ambiguous()).isEqualTo(2);
        assertThat(r.passed()).isTrue();
        audit.label(label("cam-0", 0));
        assertThat(audit.report().duplicated()).isEqualTo(1);
    }
}
