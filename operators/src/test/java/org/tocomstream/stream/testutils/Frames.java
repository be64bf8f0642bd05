package org.tocomstream.stream.testutils;

import org.tocomstream.stream.DecodedFrame;

/** Tiny decoded frames for operator tests: 4 values, the first one naming the expected class. */
public final class Frames {

    private Frames() {}

    public static DecodedFrame frame(String stream, long seq, long captureTs, int cls) {
        return new DecodedFrame(stream, seq, captureTs, new float[] {cls, 0, 0, 0});
    }
}
