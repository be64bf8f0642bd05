package org.tocomstream.data;

import java.util.Locale;

/**
 * What a {@link SyntheticCamera} stream looks like from one frame to the next. In both, one object
 * per segment of {@link SceneConfig#segmentFrames()} frames glides across the view along the same
 * path, and the label is its class; they differ in what lies behind it.
 */
public enum CameraScene {
    /**
     * A new background texture, palette, clutter and noise level every segment, with Gaussian
     * pixel noise drawn afresh for every frame: every pixel changes from frame to frame. The
     * default.
     */
    SEGMENTS,
    /**
     * A fixed surveillance camera: one background texture and clutter per stream (chosen from the
     * stream id) for the whole stream, and no pixel noise, so from one frame to the next only the
     * pixels near the moving object change; the rest are bit-identical.
     */
    STATIC;

    /** The text form: {@code segments} or {@code static}. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses the text form, case-insensitively.
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static CameraScene parse(String text) {
        for (CameraScene s : values()) {
            if (s.text().equalsIgnoreCase(text == null ? "" : text.trim())) {
                return s;
            }
        }
        throw new IllegalArgumentException(String.format("camera scene must be segments or static but was '%s'", text));
    }
}
