package org.tocomstream.stream;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
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
     * @param preprocessor decodes and preprocesses the image (its pixel cap applies)
     * @param limits the value-size cap
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

    /** Checks and decodes one record; never throws for bad input. */
    public Outcome validate(FrameRecord record) {
        byte[] key = record.key();
        if (key == null) {
            return Outcome.dead(record, "no key (the stream id)");
        }
        if (key.length == 0) {
            return Outcome.dead(record, "empty key (the stream id)");
        }
        String stream;
        try {
            stream = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key))
                    .toString();
        } catch (CharacterCodingException e) {
            return Outcome.dead(record, "key (the stream id) is not valid UTF-8");
        }
        byte[] value = record.value();
        if (value == null || value.length == 0) {
            return Outcome.dead(record, "empty value (no image)");
        }
        if (value.length > limits.maxValueBytes()) {
            return Outcome.dead(
                    record,
                    String.format(
                            "value is %d bytes, above the cap of %d (%s)",
                            value.length, limits.maxValueBytes(), DecodeConfig.MAX_VALUE_BYTES));
        }

        byte[] seqHeader = record.header(WireFormat.FRAME_SEQ);
        if (seqHeader == null) {
            return Outcome.dead(record, "missing header " + WireFormat.FRAME_SEQ);
        }
        long seq = parseDecimal(seqHeader);
        if (seq < 0) {
            return Outcome.dead(
                    record,
                    String.format(
                            "header %s is not a non-negative decimal integer: %s",
                            WireFormat.FRAME_SEQ, quote(seqHeader)));
        }

        long captureTs;
        byte[] tsHeader = record.header(WireFormat.CAPTURE_TS);
        if (tsHeader == null) {
            if (record.timestamp() < 0) {
                return Outcome.dead(
                        record,
                        "missing header " + WireFormat.CAPTURE_TS + " and no record timestamp");
            }
            captureTs = record.timestamp();
        } else {
            captureTs = parseDecimal(tsHeader);
            if (captureTs < 0) {
                return Outcome.dead(
                        record,
                        String.format(
                                "header %s is not a non-negative decimal epoch-ms time: %s",
                                WireFormat.CAPTURE_TS, quote(tsHeader)));
            }
        }

        byte[] typeHeader = record.header(WireFormat.CONTENT_TYPE);
        if (typeHeader != null && !isSupportedType(typeHeader)) {
            return Outcome.dead(
                    record,
                    String.format(
                            "unsupported header %s %s; supported: %s, %s",
                            WireFormat.CONTENT_TYPE, quote(typeHeader), WireFormat.IMAGE_JPEG,
                            WireFormat.IMAGE_PNG));
        }

        float[] pixels;
        try {
            pixels = preprocessor.preprocess(value);
        } catch (ImageDecodeException e) {
            // The decoder's message names the format and the pixel cap; keep it on one line.
            return Outcome.dead(record, "cannot decode the image: " + oneLine(e.getMessage()));
        } catch (RuntimeException e) {
            // ImagePreprocessor maps decoder failures to ImageDecodeException; anything else
            // escaping is still this record's problem, not the job's.
            return Outcome.dead(record, "cannot decode the image: " + oneLine(e.toString()));
        }
        return Outcome.ok(new DecodedFrame(stream, seq, captureTs, pixels));
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
}
