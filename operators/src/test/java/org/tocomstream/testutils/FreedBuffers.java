package org.tocomstream.testutils;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes the garbage collector free unreachable direct buffers, then refills small native blocks
 * with NaN: memory that an autograd graph still borrows from a freed Java buffer then reads NaN
 * (see {@code org.tocomstream.model.Scalars}).
 */
public final class FreedBuffers {

    private FreedBuffers() {}

    /** Returns the NaN-filled buffers; keep them reachable until the backward pass has run. */
    public static List<ByteBuffer> collectAndPoison() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50); // the cleaner thread frees the buffers after the collection
        }
        List<ByteBuffer> poison = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, Float.NaN);
            poison.add(b);
        }
        return poison;
    }
}
