package org.tocomstream.job.run;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.tocomstream.job.kafka.FrameDeserializationSchema;
import org.tocomstream.job.run.HostileFrames.Expect;
import org.tocomstream.stream.FrameRecord;
import org.tocomstream.stream.FrameValidator;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.WireFormat;

/**
 * Matches what the job wrote back to what it was sent: every frames-topic record should get
 * exactly one answer, a label or a dead letter. A label matches the frame whose (stream, seq) it
 * carries, read from the frame as the job reads it (stream = the key as UTF-8, seq = the last
 * {@value WireFormat#FRAME_SEQ} header); a dead letter matches the frame at the position that
 * prefixes its {@value WireFormat#ERROR} reason ({@code topic-partition@offset: reason}), else the
 * one its {@value WireFormat#ORIGINAL_TOPIC}/{@code -partition}/{@code -offset} headers name.
 * Frames with {@link HostileFrames} headers are also checked against their expectation and
 * counted by kind. Keeps no record values. Not thread-safe.
 *
 * <pre>{@code
 * FrameAudit audit = new FrameAudit();
 * frames.forEach(audit::frame);
 * labels.forEach(audit::label);
 * deadLetters.forEach(audit::deadLetter);
 * FrameAudit.Report report = audit.report();
 * }</pre>
 */
public final class FrameAudit {

    /** Most problems listed in a report; the counts are always complete. */
    static final int MAX_PROBLEMS = 1000;

    /** A sent frame: where it is, the (stream, seq) a label of it carries (or null), its hostile headers. */
    private record Frame(String position, String labelKey, String kind, Expect expect, String hostileId) {}

    /**
     * Answers of one hostile kind.
     *
     * @param labelled frames of the kind answered once, by a label
     * @param dead frames answered once, by a dead letter
     * @param lost frames without an answer
     * @param duplicated frames with more than one answer
     * @param wrong frames answered once against their expectation
     */
    public record KindCounts(int labelled, int dead, int lost, int duplicated, int wrong) {}

    /**
     * What the audit found.
     *
     * @param sent frames read from the frames topic
     * @param labelled label records read
     * @param deadLettered dead letters read
     * @param lost frames without an answer
     * @param duplicated frames with more than one answer
     * @param unknown answers that match no frame
     * @param wrong frames answered once against their {@value HostileFrames#EXPECT}, plus dead
     *     letters whose {@value HostileFrames#ID} differs from their frame's
     * @param ambiguous frames that share their (stream, seq) with another frame (their labels
     *     cannot be told apart: each goes to the first such frame not yet labelled)
     * @param byKind counts by {@value HostileFrames#KIND}
     * @param byReason dead letters by {@link #reasonClass reason class}
     * @param problems the first {@value #MAX_PROBLEMS} problems, one line each
     */
    public record Report(
            int sent,
            int labelled,
            int deadLettered,
            int lost,
            int duplicated,
            int unknown,
            int wrong,
            int ambiguous,
            Map<String, KindCounts> byKind,
            Map<String, Integer> byReason,
            List<String> problems) {

        /** Whether every frame got exactly one answer as expected, and every answer matched a frame. */
        public boolean passed() {
            return lost == 0 && duplicated == 0 && unknown == 0 && wrong == 0;
        }

        /** The summary line: {@code audit: sent=N labelled=N dead-lettered=N lost=N ...}. */
        public String summaryLine() {
            return String.format(
                    Locale.ROOT,
                    "audit: sent=%d labelled=%d dead-lettered=%d lost=%d duplicated=%d unknown=%d wrong=%d ambiguous=%d",
                    sent,
                    labelled,
                    deadLettered,
                    lost,
                    duplicated,
                    unknown,
                    wrong,
                    ambiguous);
        }
    }

    private final Map<String, Frame> byPosition = new LinkedHashMap<>();
    private final Map<String, List<Frame>> byLabelKey = new HashMap<>();
    private final Map<String, List<String>> answers = new HashMap<>();
    private final Map<String, Integer> reasons = new TreeMap<>();
    private final List<String> answerProblems = new ArrayList<>();
    private int labels;
    private int deadLetters;
    private int unknown;
    private int wrongIds;

    /** Adds a record of the frames topic; a record at a position already added is ignored. */
    public void frame(ConsumerRecord<byte[], byte[]> record) {
        FrameRecord f = FrameDeserializationSchema.toFrameRecord(record);
        if (byPosition.containsKey(f.position())) {
            return;
        }
        String stream = FrameValidator.streamIdOf(f.key());
        long seq = FrameValidator.frameSeqOf(f);
        String labelKey = stream != null && seq >= 0 ? stream + "#" + seq : null;
        Frame frame = new Frame(
                f.position(),
                labelKey,
                header(record, HostileFrames.KIND),
                Expect.ofHeader(header(record, HostileFrames.EXPECT)),
                header(record, HostileFrames.ID));
        byPosition.put(frame.position(), frame);
        if (labelKey != null) {
            byLabelKey.computeIfAbsent(labelKey, k -> new ArrayList<>(1)).add(frame);
        }
    }

    /** Adds a record of the labels topic. */
    public void label(ConsumerRecord<byte[], byte[]> record) {
        labels++;
        String at = record.topic() + "-" + record.partition() + "@" + record.offset();
        LabelRecord l;
        try {
            l = LabelRecord.fromJson(record.value());
        } catch (RuntimeException e) {
            unknown(String.format("label %s is not a label record: %s", at, e.getMessage()));
            return;
        }
        List<Frame> candidates = byLabelKey.get(l.stream() + "#" + l.seq());
        if (candidates == null) {
            unknown(String.format("label %s of %s#%d matches no frame", at, l.stream(), l.seq()));
            return;
        }
        Frame frame = candidates.get(0);
        for (Frame c : candidates) {
            if (!answers.containsKey(c.position())) {
                frame = c;
                break;
            }
        }
        answer(frame, "label " + at);
    }

    /** Adds a record of the dead-letter topic. */
    public void deadLetter(ConsumerRecord<byte[], byte[]> record) {
        deadLetters++;
        String at = record.topic() + "-" + record.partition() + "@" + record.offset();
        String reason = header(record, WireFormat.ERROR);
        String prefix = reason == null || reason.indexOf(": ") < 0 ? "" : reason.substring(0, reason.indexOf(": "));
        Frame frame = byPosition.get(prefix);
        if (frame == null) {
            frame = byPosition.get(header(record, WireFormat.ORIGINAL_TOPIC) + "-"
                    + header(record, WireFormat.ORIGINAL_PARTITION) + "@"
                    + header(record, WireFormat.ORIGINAL_OFFSET));
        }
        if (frame == null) {
            unknown(String.format("dead letter %s matches no frame: %s", at, reason));
            return;
        }
        String deadId = header(record, HostileFrames.ID);
        if (deadId != null && frame.hostileId() != null && !deadId.equals(frame.hostileId())) {
            wrongIds++;
            problem(String.format(
                    "dead letter %s of %s carries %s %s, the frame %s",
                    at, frame.position(), HostileFrames.ID, deadId, frame.hostileId()));
        }
        String text = reason == null ? "" : reason;
        boolean prefixed = text.startsWith(frame.position() + ": ");
        reasons.merge(reasonClass(prefixed ? text.substring(frame.position().length() + 2) : text), 1, Integer::sum);
        answer(frame, "dead " + at + ": " + reason);
    }

    /** Whether every frame added so far has at least one answer. */
    public boolean allAnswered() {
        return answers.size() == byPosition.size();
    }

    /** The counts and problems so far. */
    public Report report() {
        List<String> problems = new ArrayList<>(answerProblems);
        Map<String, int[]> kinds = new TreeMap<>();
        int lost = 0;
        int duplicated = 0;
        int wrong = wrongIds;
        for (Frame f : byPosition.values()) {
            List<String> a = answers.getOrDefault(f.position(), List.of());
            int[] k = f.kind() == null ? new int[5] : kinds.computeIfAbsent(f.kind(), x -> new int[5]);
            String what =
                    f.kind() == null ? f.position() : f.position() + " (" + f.kind() + ", id " + f.hostileId() + ")";
            if (a.size() != 1) {
                lost += a.isEmpty() ? 1 : 0;
                duplicated += a.isEmpty() ? 0 : 1;
                k[a.isEmpty() ? 2 : 3]++;
                addProblem(problems, String.format("frame %s: %d answers %s", what, a.size(), a));
                continue;
            }
            boolean labelled = a.get(0).startsWith("label");
            k[labelled ? 0 : 1]++;
            if (f.expect() != null && !f.expect().allows(labelled)) {
                wrong++;
                k[4]++;
                addProblem(
                        problems,
                        String.format(
                                "frame %s: expected %s, got %s",
                                what, f.expect().headerValue(), a));
            }
        }
        Map<String, KindCounts> byKind = new LinkedHashMap<>();
        kinds.forEach((name, k) -> byKind.put(name, new KindCounts(k[0], k[1], k[2], k[3], k[4])));
        int ambiguous = 0;
        for (List<Frame> same : byLabelKey.values()) {
            ambiguous += same.size() > 1 ? same.size() : 0;
        }
        return new Report(
                byPosition.size(),
                labels,
                deadLetters,
                lost,
                duplicated,
                unknown,
                wrong,
                ambiguous,
                byKind,
                new TreeMap<>(reasons),
                problems);
    }

    /**
     * A dead letter's reason without its position, numbers and quoted text: what kind of problem
     * it names, e.g. {@code missing header frame-seq} or {@code decode: unsupported PNG}.
     */
    public static String reasonClass(String reason) {
        String decode = "cannot decode the image: ";
        boolean decoding = reason.startsWith(decode);
        String r = decoding ? reason.substring(decode.length()) : reason;
        r = r.replaceAll("('|:| \\((?!the stream id)).*", "")
                .replaceAll("[0-9]+", "N")
                .trim();
        r = r.length() > 60 ? r.substring(0, 60) : r;
        return decoding ? "decode: " + r : r;
    }

    private void answer(Frame frame, String what) {
        answers.computeIfAbsent(frame.position(), k -> new ArrayList<>(1)).add(what);
    }

    private void unknown(String what) {
        unknown++;
        problem(what);
    }

    private void problem(String what) {
        addProblem(answerProblems, what);
    }

    private static void addProblem(List<String> problems, String what) {
        if (problems.size() < MAX_PROBLEMS) {
            problems.add(what);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
