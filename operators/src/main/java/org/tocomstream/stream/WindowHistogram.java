package org.tocomstream.stream;

import java.util.Arrays;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;

/**
 * A histogram over the last {@code size} values (a ring buffer), with exact quantiles. Updated on
 * the task thread, read by metric reporters, hence synchronized; quantiles sort a copy at read
 * time, which reporters do every few seconds.
 */
final class WindowHistogram implements Histogram {

    private final long[] ring;
    private long count;

    WindowHistogram(int size) {
        ring = new long[size];
    }

    @Override
    public synchronized void update(long value) {
        ring[(int) (count % ring.length)] = value;
        count++;
    }

    @Override
    public synchronized long getCount() {
        return count;
    }

    @Override
    public HistogramStatistics getStatistics() {
        long[] values;
        synchronized (this) {
            values = Arrays.copyOf(ring, (int) Math.min(count, ring.length));
        }
        Arrays.sort(values);
        return new Sorted(values);
    }

    /** Quantile {@code q} of the window (nearest rank), 0 when empty. */
    long quantile(double q) {
        return (long) getStatistics().getQuantile(q);
    }

    private static final class Sorted extends HistogramStatistics {
        private final long[] v;

        Sorted(long[] sorted) {
            v = sorted;
        }

        @Override
        public double getQuantile(double quantile) {
            if (v.length == 0) {
                return 0;
            }
            int rank = (int) Math.ceil(quantile * v.length);
            return v[Math.min(v.length - 1, Math.max(0, rank - 1))];
        }

        @Override
        public long[] getValues() {
            return v.clone();
        }

        @Override
        public int size() {
            return v.length;
        }

        @Override
        public double getMean() {
            return v.length == 0 ? 0 : Arrays.stream(v).average().orElse(0);
        }

        @Override
        public double getStdDev() {
            if (v.length < 2) {
                return 0;
            }
            double mean = getMean();
            double ss = 0;
            for (long x : v) {
                ss += (x - mean) * (x - mean);
            }
            return Math.sqrt(ss / (v.length - 1));
        }

        @Override
        public long getMax() {
            return v.length == 0 ? 0 : v[v.length - 1];
        }

        @Override
        public long getMin() {
            return v.length == 0 ? 0 : v[0];
        }
    }
}
