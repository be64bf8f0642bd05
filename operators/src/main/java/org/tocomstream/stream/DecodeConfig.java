package org.tocomstream.stream;

import java.io.Serializable;
import org.tocomstream.model.ImagePreprocessor;

/**
 * Limits on a frames-topic record before and during decoding. A record over a limit goes to the
 * dead-letter topic, naming the limit; it never fails the job.
 *
 * <pre>{@code
 * DecodeConfig limits = new DecodeConfig(8 << 20, 4_000_000, 32 << 20); // 8 MiB, 4 megapixels, 32 MiB decoded
 * DecodeConfig withKeys = new DecodeConfig(8 << 20, 4_000_000, 32 << 20, 128); // stream ids up to 128 bytes
 * }</pre>
 *
 * <p>Memory sizing: a decode holds at most {@code maxDecodedBytes} of heap (the decoder's raster
 * after subsampling plus the RGB copy), so a TaskManager needs about {@code concurrent decodes ×
 * maxDecodedBytes} of heap for decoding, one decode per decode subtask (slot).
 *
 * @param maxValueBytes largest accepted record value in bytes (setting {@value #MAX_VALUE_BYTES})
 * @param maxPixels largest accepted {@code width × height}, checked from the image header before
 *     any pixel memory is allocated (setting {@value #MAX_PIXELS})
 * @param maxDecodedBytes most bytes one decode may hold: the decoder's raster at its own sample
 *     size (16-bit samples take 2 bytes), after the subsampling that large images get, plus the
 *     8-bit RGB copy; checked from the header (setting {@value #MAX_DECODED_BYTES})
 * @param maxKeyBytes longest accepted record key (the stream id) in bytes of UTF-8 (setting
 *     {@value #MAX_KEY_BYTES}): every label repeats the stream id twice and the job keeps state per
 *     stream, so an unbounded key could make a label the labels sink cannot write
 */
public record DecodeConfig(long maxValueBytes, long maxPixels, long maxDecodedBytes, long maxKeyBytes)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Setting name of {@link #maxValueBytes()}. */
    public static final String MAX_VALUE_BYTES = "vit.decode.max-value-bytes";

    /** Setting name of {@link #maxPixels()}. */
    public static final String MAX_PIXELS = "vit.decode.max-pixels";

    /** Setting name of {@link #maxDecodedBytes()}. */
    public static final String MAX_DECODED_BYTES = "vit.decode.max-decoded-bytes";

    /** Setting name of {@link #maxKeyBytes()}. */
    public static final String MAX_KEY_BYTES = "vit.decode.max-key-bytes";

    /**
     * Default stream-id cap: 256 bytes of UTF-8. Camera names, host names, UUIDs (36) and
     * site/building/camera paths fit with room to spare; it is the order of other identifier limits
     * (DNS names 253, Kafka topic names 249). It keeps a label's two copies of the id to half a
     * kilobyte and the per-stream state small.
     */
    public static final long DEFAULT_MAX_KEY_BYTES = 256;

    /**
     * Default value cap: 960 KiB. Kafka's producer refuses records over its {@code
     * max.request.size} (default 1 MiB), and a frame that cannot be labelled goes to the
     * dead-letter topic with its value: 1 MiB less 64 KiB for key, headers and framing lets every
     * frame within the cap be dead-lettered whole on Kafka's defaults. It is well above a 1080p
     * camera JPEG (typically 100 to 500 KB); the model reads at most a few hundred pixels a side.
     */
    public static final long DEFAULT_MAX_VALUE_BYTES = 960L << 10;

    /** @throws IllegalArgumentException naming the setting */
    public DecodeConfig {
        if (maxValueBytes < 1) {
            throw new IllegalArgumentException(
                    String.format("%s must be >= 1 but was %d", MAX_VALUE_BYTES, maxValueBytes));
        }
        if (maxPixels < 1) {
            throw new IllegalArgumentException(String.format("%s must be >= 1 but was %d", MAX_PIXELS, maxPixels));
        }
        if (maxDecodedBytes < 1) {
            throw new IllegalArgumentException(
                    String.format("%s must be >= 1 but was %d", MAX_DECODED_BYTES, maxDecodedBytes));
        }
        if (maxKeyBytes < 1) {
            throw new IllegalArgumentException(String.format("%s must be >= 1 but was %d", MAX_KEY_BYTES, maxKeyBytes));
        }
    }

    /** Limits with the default stream-id cap, {@value #DEFAULT_MAX_KEY_BYTES} bytes. */
    public DecodeConfig(long maxValueBytes, long maxPixels, long maxDecodedBytes) {
        this(maxValueBytes, maxPixels, maxDecodedBytes, DEFAULT_MAX_KEY_BYTES);
    }

    /**
     * Limits with the default decode budget, {@link ImagePreprocessor#DEFAULT_MAX_DECODED_BYTES},
     * and stream-id cap.
     */
    public DecodeConfig(long maxValueBytes, long maxPixels) {
        this(maxValueBytes, maxPixels, ImagePreprocessor.DEFAULT_MAX_DECODED_BYTES);
    }

    /**
     * {@value #DEFAULT_MAX_VALUE_BYTES} bytes, {@link ImagePreprocessor#DEFAULT_MAX_PIXELS},
     * {@link ImagePreprocessor#DEFAULT_MAX_DECODED_BYTES} and {@value #DEFAULT_MAX_KEY_BYTES}-byte
     * stream ids.
     */
    public static DecodeConfig defaults() {
        return new DecodeConfig(
                DEFAULT_MAX_VALUE_BYTES,
                ImagePreprocessor.DEFAULT_MAX_PIXELS,
                ImagePreprocessor.DEFAULT_MAX_DECODED_BYTES,
                DEFAULT_MAX_KEY_BYTES);
    }
}
