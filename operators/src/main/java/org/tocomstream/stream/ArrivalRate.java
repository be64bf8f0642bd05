package org.tocomstream.stream;

/**
 * Frames per second over the last second of processing time, in ten 100 ms buckets. Mailbox
 * thread only; time comes from the caller, so tests drive it.
 */
final class ArrivalRate {

    private static final int BUCKETS = 10;
    private static final long BUCKET_MS = 100;

    private final long[] bucketIds = new long[BUCKETS];
    private final long[] counts = new long[BUCKETS];

    ArrivalRate() {
        java.util.Arrays.fill(bucketIds, Long.MIN_VALUE);
    }

    void record(long nowMs) {
        long id = Math.floorDiv(nowMs, BUCKET_MS);
        int slot = Math.floorMod(id, BUCKETS);
        if (bucketIds[slot] != id) {
            bucketIds[slot] = id;
            counts[slot] = 0;
        }
        counts[slot]++;
    }

    /** Frames recorded in the window of the last {@code BUCKETS × BUCKET_MS} ms, per second. */
    double perSecond(long nowMs) {
        long current = Math.floorDiv(nowMs, BUCKET_MS);
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            if (bucketIds[i] > current - BUCKETS && bucketIds[i] <= current) {
                total += counts[i];
            }
        }
        return total * 1000.0 / (BUCKETS * BUCKET_MS);
    }
}
