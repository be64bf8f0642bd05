package org.tocomstream.stream;

/**
 * Names fixed by the wire format ({@code src/docs/wire-format.md}): record headers of the frames
 * topic, the dead-letter headers (the reason, and where a dead letter without its value came from)
 * and the default topic names.
 */
public final class WireFormat {

    /** Frames header: the frame's sequence number within its stream, decimal ASCII. */
    public static final String FRAME_SEQ = "frame-seq";

    /** Frames header: capture time in epoch milliseconds, decimal ASCII; default the record timestamp. */
    public static final String CAPTURE_TS = "capture-ts";

    /** Frames header (optional): {@code image/jpeg} or {@code image/png}. */
    public static final String CONTENT_TYPE = "content-type";

    /** The {@link #CONTENT_TYPE} of a JPEG frame. */
    public static final String IMAGE_JPEG = "image/jpeg";

    /** The {@link #CONTENT_TYPE} of a PNG frame. */
    public static final String IMAGE_PNG = "image/png";

    /** Dead-letter header: why the frame could not be labelled, UTF-8. */
    public static final String ERROR = "error";

    /**
     * Dead-letter header, only on a dead letter written without its value (too large for the
     * dead-letter sink): the size in bytes of the original value, decimal ASCII.
     */
    public static final String ORIGINAL_SIZE = "original-size";

    /** Dead-letter header, with {@link #ORIGINAL_SIZE}: the topic the frame was read from, UTF-8. */
    public static final String ORIGINAL_TOPIC = "original-topic";

    /** Dead-letter header, with {@link #ORIGINAL_SIZE}: the frame's partition, decimal ASCII. */
    public static final String ORIGINAL_PARTITION = "original-partition";

    /** Dead-letter header, with {@link #ORIGINAL_SIZE}: the frame's offset, decimal ASCII. */
    public static final String ORIGINAL_OFFSET = "original-offset";

    /** Default frames topic. */
    public static final String DEFAULT_FRAMES_TOPIC = "frames";

    /** Default labels topic. */
    public static final String DEFAULT_LABELS_TOPIC = "labels";

    /** Default dead-letter topic. */
    public static final String DEFAULT_DEAD_LETTER_TOPIC = "frames-dead-letter";

    private WireFormat() {}
}
