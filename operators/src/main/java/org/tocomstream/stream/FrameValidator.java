package org.tocomstream.stream;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.tocomstream.model.DecodeBudgetException;
import org.tocomstream.model.ImageDecodeException;
import org.tocomstream.model.ImagePreprocessor;

/**
 * Checks one frames-topic record and preprocesses its image: the Flink-free core of {@link
 * FrameDecodeFunction}. Every way a record can be bad ends in a {@link DeadLetter} whose reason is
 * one line starting with the record's position and naming the header, value or limit; nothing
 * here throws for bad input. Thread-safe (immutable). Public so that readers of the frames topic
 * outside Flink (e.g. {@code tocom train --topic}) check frames exactly as the job does.
 *
 * <pre>{@code
 * FrameValidator check = new FrameValidator(new ImagePreprocessor(spec.preprocessing()), DecodeConfig.defaults());
 * FrameValidator.Outcome o = check.validate(record);
 * if (o.frame() != null) { float[] pixels = o.frame().pixels(); } else { log(o.deadLetter().reason()); }
 * }</pre>
 */
public final class FrameValidator {

    /** Longest header text quoted in a reason; the rest is elided. */
    private static final int QUOTE_LIMIT = 40;

    private final ImagePreprocessor preprocessor;
    private final DecodeConfig limits;

    /**
     * @param preprocessor decodes and preprocesses the image (its pixel cap and decode budget
     *     apply)
     * @param limits the value-size and stream-id caps
     */
    public FrameValidator(ImagePreprocessor preprocessor, DecodeConfig limits) {
        this.preprocessor = preprocessor;
        this.limits = limits;
    }

    /** Either a frame or a dead letter, never both. */
    public record Outcome(DecodedFrame frame, DeadLetter deadLetter) {
        static Outcome ok(DecodedFrame frame) {
            return new Outcome(frame, null);
        }

        static Outcome dead(FrameRecord record, String reason) {
            return new Outcome(null, new DeadLetter(record, record.position() + ": " + reason));
        }
    }

    /**
     * Capture times before this, epoch ms (2001-09-09T01:46:40Z), are not trusted: they look like
     * epoch seconds (1e12 s is in the year 33658).
     */
    public static final long EARLIEST_TRUSTED_CAPTURE_TS = 1_000_000_000_000L;

    /** Capture times more than this ahead of the job's clock, ms, are not trusted. */
    public static final long MAX_CAPTURE_TS_AHEAD_MS = 60_000;

    /** Checks and decodes one record, read now; never throws for bad input. */
    public Outcome validate(FrameRecord record) {
        return validate(record, System.currentTimeMillis());
    }

    /**
     * Checks and decodes one record read at {@code nowMs} (epoch ms). A capture time that is not
     * {@linkplain #isTrustedCaptureTime trusted} is kept as sent, but the frame's age is measured
     * from {@code nowMs}, so a producer's clock cannot make shedding skip its frames.
     */
    public Outcome validate(FrameRecord record, long nowMs) {
        try {
            String stream = streamId(record.key());
            byte[] value = imageBytes(record.value());
            long seq = sequenceNumber(record);
            long captureTs = captureTime(record);
            checkContentType(record);
            long ageFrom = isTrustedCaptureTime(captureTs, nowMs) ? captureTs : nowMs;
            ImagePreprocessor.Sized image = preprocess(value);
            return Outcome.ok(new DecodedFrame(
                    stream, seq, captureTs, image.pixels(), ageFrom, image.sourceWidth(), image.sourceHeight()));
        } catch (Rejected e) {
            return Outcome.dead(record, e.getMessage());
        }
    }

    /**
     * The stream id the job reads from a key, or null when it dead-letters the record for its key
     * (missing, empty or not valid UTF-8). For readers that match labels to frames.
     */
    public static String streamIdOf(byte[] key) {
        try {
            return utf8StreamId(key);
        } catch (Rejected e) {
            return null;
        }
    }

    /**
     * The {@link WireFormat#FRAME_SEQ} the job reads from the record (the last such header), or -1
     * when it dead-letters the record for that header (missing or not a non-negative decimal
     * integer). For readers that match labels to frames.
     */
    public static long frameSeqOf(FrameRecord record) {
        byte[] seqHeader = record.header(WireFormat.FRAME_SEQ);
        return seqHeader == null ? -1 : parseDecimal(seqHeader);
    }

    /** The key as the stream id: present, non-empty, within the stream-id cap, valid UTF-8. */
    private String streamId(byte[] key) throws Rejected {
        if (key != null && key.length > limits.maxKeyBytes()) {
            // Checked before decoding: a long key costs no copy. Its label would repeat it twice.
            throw new Rejected(String.format(
                    "key (the stream id) is %d bytes, above the cap of %d (%s)",
                    key.length, limits.maxKeyBytes(), DecodeConfig.MAX_KEY_BYTES));
        }
        return utf8StreamId(key);
    }

    /** The key as text: present, non-empty, valid UTF-8 (no cap: readers of labels need none). */
    private static String utf8StreamId(byte[] key) throws Rejected {
        if (key == null) {
            throw new Rejected("no key (the stream id)");
        }
        if (key.length == 0) {
            throw new Rejected("empty key (the stream id)");
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Rejected("key (the stream id) is not valid UTF-8");
        }
    }

    /** The value: present, non-empty and within the size cap. */
    private byte[] imageBytes(byte[] value) throws Rejected {
        if (value == null || value.length == 0) {
            throw new Rejected("empty value (no image)");
        }
        if (value.length > limits.maxValueBytes()) {
            throw new Rejected(String.format(
                    "value is %d bytes, above the cap of %d (%s)",
                    value.length, limits.maxValueBytes(), DecodeConfig.MAX_VALUE_BYTES));
        }
        return value;
    }

    /** The required {@link WireFormat#FRAME_SEQ} header. */
    private static long sequenceNumber(FrameRecord record) throws Rejected {
        byte[] seqHeader = record.header(WireFormat.FRAME_SEQ);
        if (seqHeader == null) {
            throw new Rejected("missing header " + WireFormat.FRAME_SEQ);
        }
        long seq = parseDecimal(seqHeader);
        if (seq < 0) {
            throw new Rejected(String.format(
                    "header %s is not a non-negative decimal integer: %s", WireFormat.FRAME_SEQ, quote(seqHeader)));
        }
        return seq;
    }

    /**
     * Whether a frame's age may be measured from {@code captureTs}: not before {@value
     * #EARLIEST_TRUSTED_CAPTURE_TS} (seconds, not ms) and at most {@value #MAX_CAPTURE_TS_AHEAD_MS}
     * ms after {@code nowMs} (a clock far ahead).
     */
    public static boolean isTrustedCaptureTime(long captureTs, long nowMs) {
        return captureTs >= EARLIEST_TRUSTED_CAPTURE_TS && captureTs - nowMs <= MAX_CAPTURE_TS_AHEAD_MS;
    }

    /** The {@link WireFormat#CAPTURE_TS} header, else the record's own timestamp. */
    private static long captureTime(FrameRecord record) throws Rejected {
        byte[] tsHeader = record.header(WireFormat.CAPTURE_TS);
        if (tsHeader == null) {
            if (record.timestamp() < 0) {
                throw new Rejected("missing header " + WireFormat.CAPTURE_TS + " and no record timestamp");
            }
            return record.timestamp();
        }
        long captureTs = parseDecimal(tsHeader);
        if (captureTs < 0) {
            throw new Rejected(String.format(
                    "header %s is not a non-negative decimal epoch-ms time: %s",
                    WireFormat.CAPTURE_TS, quote(tsHeader)));
        }
        return captureTs;
    }

    /** The optional {@link WireFormat#CONTENT_TYPE} header, when present, names a supported type. */
    private static void checkContentType(FrameRecord record) throws Rejected {
        byte[] typeHeader = record.header(WireFormat.CONTENT_TYPE);
        if (typeHeader != null && !isSupportedType(typeHeader)) {
            throw new Rejected(String.format(
                    "unsupported header %s %s; supported: %s, %s",
                    WireFormat.CONTENT_TYPE, quote(typeHeader), WireFormat.IMAGE_JPEG, WireFormat.IMAGE_PNG));
        }
    }

    private ImagePreprocessor.Sized preprocess(byte[] value) throws Rejected {
        try {
            return preprocessor.preprocessSized(value);
        } catch (DecodeBudgetException e) {
            throw new Rejected("cannot decode the image: " + oneLine(e.getMessage()) + " ("
                    + DecodeConfig.MAX_DECODED_BYTES + ")");
        } catch (ImageDecodeException e) {
            // The decoder's message names the format and the pixel cap; keep it on one line.
            throw new Rejected("cannot decode the image: " + oneLine(e.getMessage()));
        } catch (RuntimeException e) {
            // ImagePreprocessor maps decoder failures to ImageDecodeException; anything else
            // escaping is still this record's problem, not the job's.
            throw new Rejected("cannot decode the image: " + oneLine(e.toString()));
        }
    }

    /** A non-negative decimal ASCII integer, or -1 if the bytes are anything else. */
    static long parseDecimal(byte[] text) {
        if (text.length == 0 || text.length > 19) {
            return -1;
        }
        long v = 0;
        for (byte b : text) {
            if (b < '0' || b > '9') {
                return -1;
            }
            v = v * 10 + (b - '0');
            if (v < 0) {
                return -1; // overflow past Long.MAX_VALUE
            }
        }
        return v;
    }

    /** Accepts {@code image/jpeg} and {@code image/png}, any case, with or without parameters. */
    private static boolean isSupportedType(byte[] header) {
        String type = new String(header, StandardCharsets.UTF_8);
        int semicolon = type.indexOf(';');
        if (semicolon >= 0) {
            type = type.substring(0, semicolon);
        }
        type = type.trim().toLowerCase(Locale.ROOT);
        return type.equals(WireFormat.IMAGE_JPEG) || type.equals(WireFormat.IMAGE_PNG);
    }

    /** Header bytes as a short, printable, single-quoted text for a reason. */
    static String quote(byte[] header) {
        String s = new String(header, StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder("'");
        int n = 0;
        for (int i = 0; i < s.length() && n < QUOTE_LIMIT; i++, n++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        if (s.length() > QUOTE_LIMIT) {
            sb.append("...");
        }
        return sb.append('\'').toString();
    }

    private static String oneLine(String text) {
        return text == null ? "(no message)" : text.replaceAll("[\\r\\n]+", " ").trim();
    }

    /**
     * Why a record is refused: raised by the checks {@link #validate} runs, in order, and turned
     * into the record's dead letter there; it never leaves this class. No stack trace: the reason
     * says all.
     */
    private static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;

        Rejected(String reason) {
            super(reason, null, false, false);
        }
    }
}
