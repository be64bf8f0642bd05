package org.tocomstream.job.loadtest;

import java.util.Arrays;

/**
 * Frames handed to a {@code loadtest} run's producer, before t0 (the start of phase 1) and per
 * second after it. Thread-safe.
 */
final class LoadTestCounts {
    private long t0 = Long.MAX_VALUE;
    private long before;
    private long[] perSecond = new long[64];
    private int seconds;
    private long total;

    synchronized void startAt(long t0) {
        this.t0 = t0;
    }

    synchronized void add(long nowMs) {
        total++;
        if (nowMs < t0) {
            before++;
            return;
        }
        int s = (int) ((nowMs - t0) / 1000);
        if (s >= perSecond.length) {
            perSecond = Arrays.copyOf(perSecond, Math.max(perSecond.length * 2, s + 1));
        }
        perSecond[s]++;
        seconds = Math.max(seconds, s + 1);
    }

    synchronized long total() {
        return total;
    }

    synchronized long before() {
        return before;
    }

    synchronized long[] perSecond() {
        return Arrays.copyOf(perSecond, seconds);
    }
}
