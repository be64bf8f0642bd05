package org.tocomstream.control;

/**
 * The trend of the oldest frame's age for {@link AdaptivePolicy}: the recent samples in a ring and
 * their least-squares slope over the last {@link #WINDOW_MS}, in seconds of age per second. Not
 * thread-safe; one per policy.
 */
final class AgeTrend {

    /** The window of the age trend, ms: about ten batches of a loaded operator. */
    static final long WINDOW_MS = 1000;

    /** Age samples kept for the trend (batches are rarely more frequent than this per window). */
    private static final int CAPACITY = 256;

    /** Fewest samples, and shortest span, a trend is fitted over. */
    private static final int MIN_SAMPLES = 4;

    private static final long MIN_SPAN_MS = 500;

    private final long[] trendMs = new long[CAPACITY];
    private final double[] trendAge = new double[CAPACITY];
    private int trendNext;
    private int trendSize;

    /**
     * Records the age seen at {@code now} and returns the least-squares slope of the age over the
     * last {@link #WINDOW_MS}, seconds of age per second; NaN with too few samples.
     */
    double add(long now, long ageMs) {
        trendMs[trendNext] = now;
        trendAge[trendNext] = ageMs;
        trendNext = (trendNext + 1) % CAPACITY;
        trendSize = Math.min(trendSize + 1, CAPACITY);
        int n = 0;
        double sumT = 0;
        double sumA = 0;
        long first = now;
        for (int k = 0; k < trendSize; k++) {
            int i = Math.floorMod(trendNext - 1 - k, CAPACITY);
            if (now - trendMs[i] > WINDOW_MS) {
                break;
            }
            n++;
            sumT += trendMs[i] - now;
            sumA += trendAge[i];
            first = trendMs[i];
        }
        if (n < MIN_SAMPLES || now - first < MIN_SPAN_MS) {
            return Double.NaN;
        }
        double meanT = sumT / n;
        double meanA = sumA / n;
        double sxx = 0;
        double sxy = 0;
        for (int k = 0; k < n; k++) {
            int i = Math.floorMod(trendNext - 1 - k, CAPACITY);
            double dt = trendMs[i] - now - meanT;
            sxx += dt * dt;
            sxy += dt * (trendAge[i] - meanA);
        }
        return sxx == 0 ? Double.NaN : sxy / sxx;
    }
}
