package org.tocomstream.compensate;

/**
 * Loss and throughput since the last report, and the pace of the whole invocation, for {@link
 * TocomProgress}. Starts its clocks when created.
 */
final class TrainingPace {

    private final long runStart = System.nanoTime();
    private long windowStart = runStart;
    private double lossSum;
    private long seen;
    private long steps;

    /** One step's batch-mean loss over {@code batchSize} images. */
    void add(float loss, int batchSize) {
        lossSum += (double) loss * batchSize;
        seen += batchSize;
        steps++;
    }

    /** Steps taken so far. */
    long steps() {
        return steps;
    }

    /** Seconds since creation. */
    double seconds() {
        return (System.nanoTime() - runStart) / 1e9;
    }

    /** The report after {@code step}; the next one covers the steps after it. */
    TocomProgress report(
            int epoch,
            int epochs,
            long step,
            long totalSteps,
            CompensatorPair pair,
            double lr,
            double klPlain,
            double klWith) {
        long now = System.nanoTime();
        double perStep = (now - runStart) / 1e9 / steps;
        TocomProgress p = new TocomProgress(
                epoch,
                epochs,
                step,
                totalSteps,
                lossSum / seen,
                pair,
                lr,
                seen / ((now - windowStart) / 1e9),
                perStep * (totalSteps - step),
                klPlain,
                klWith);
        lossSum = 0;
        seen = 0;
        windowStart = System.nanoTime();
        return p;
    }
}
