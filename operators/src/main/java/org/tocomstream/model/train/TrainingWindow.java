package org.tocomstream.model.train;

/**
 * Loss, accuracy and throughput since the last report, and the pace of the whole invocation, for
 * {@link TrainProgress}. Starts its clocks when created.
 */
final class TrainingWindow {

    private final long runStart = System.nanoTime();
    private long windowStart = runStart;
    private double lossSum;
    private long correct;
    private long seen;
    private long steps;

    /** One step: its batch-mean loss and its correct predictions over {@code batchSize} examples. */
    void add(float loss, long hits, int batchSize) {
        lossSum += loss * batchSize;
        correct += hits;
        seen += batchSize;
        steps++;
    }

    /** Seconds since creation. */
    double seconds() {
        return (System.nanoTime() - runStart) / 1e9;
    }

    /** The report after {@code step}; the next one covers the steps after it. */
    TrainProgress report(int epoch, int epochs, long step, long totalSteps, double lr, double validation) {
        long now = System.nanoTime();
        double windowSec = (now - windowStart) / 1e9;
        double perStep = (now - runStart) / 1e9 / steps;
        TrainProgress p = new TrainProgress(
                epoch,
                epochs,
                step,
                totalSteps,
                lossSum / seen,
                (double) correct / seen,
                lr,
                seen / windowSec,
                perStep * (totalSteps - step),
                validation);
        lossSum = 0;
        correct = 0;
        seen = 0;
        windowStart = System.nanoTime();
        return p;
    }
}
