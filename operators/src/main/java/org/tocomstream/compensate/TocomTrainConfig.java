package org.tocomstream.compensate;

/**
 * Settings of one self-distillation run of a Token Compensator ({@link TocomTrainer}). Validated
 * on construction; messages name the setting. The scale s the plugin trains at is the plugin's
 * {@link CompensatorConfig#defaultScale()}.
 *
 * <pre>{@code
 * TocomTrainConfig cfg = TocomTrainConfig.defaults(10, 64).withLearningRate(2e-3, 1e-5);
 * }</pre>
 *
 * @param epochs passes over the images
 * @param batchSize images per step (an epoch drops its last partial batch)
 * @param lr peak learning rate (AdamW)
 * @param minLr learning rate at the end of the cosine decay
 * @param warmupEpochs linear warm-up, in (possibly fractional) epochs; ToCom uses 0
 * @param weightDecay decoupled weight decay on the plugin's matrices (ToCom: 0.05)
 * @param seed seeds the fresh plugin, the shuffling and the (r_src, r_tgt) draws
 * @param logEverySteps progress report interval in steps
 * @param checkpointEverySteps checkpoint interval in steps; 0 = after every epoch only
 * @param relativeFloor how the pairs' losses are weighted. 0: ToCom's recipe, each step's KL as
 *     is, so the lossy pairs (KL ~ 0.5) outweigh the near-lossless ones (KL ~ 0.001) by hundreds.
 *     {@code > 0}: each pair's KL is divided by (that pair's KL without the plugin + this floor),
 *     measured once before training, weights normalised to mean 1 over the pairs; the plugin then
 *     has to lower every pair's KL by the same factor instead of trading the near-lossless pairs
 *     (where any delta only adds error) for the lossy ones. The floor keeps the pairs whose plain KL
 *     is ~0 from dominating.
 */
public record TocomTrainConfig(
        int epochs,
        int batchSize,
        double lr,
        double minLr,
        double warmupEpochs,
        double weightDecay,
        long seed,
        int logEverySteps,
        int checkpointEverySteps,
        double relativeFloor) {

    /** @throws IllegalArgumentException naming the offending setting */
    public TocomTrainConfig {
        if (epochs <= 0) {
            throw new IllegalArgumentException("epochs must be > 0 but was " + epochs);
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be > 0 but was " + batchSize);
        }
        if (logEverySteps <= 0) {
            throw new IllegalArgumentException("log interval must be > 0 but was " + logEverySteps);
        }
        if (checkpointEverySteps < 0) {
            throw new IllegalArgumentException("checkpoint interval must be >= 0 but was " + checkpointEverySteps);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be > 0 but was " + lr);
        }
        if (!(minLr >= 0 && minLr <= lr)) {
            throw new IllegalArgumentException(
                    String.format("minimum learning rate must be in [0, %s] but was %s", lr, minLr));
        }
        if (!(warmupEpochs >= 0 && warmupEpochs <= epochs)) {
            throw new IllegalArgumentException(
                    String.format("warm-up epochs must be in [0, %d] but was %s", epochs, warmupEpochs));
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be >= 0 but was " + weightDecay);
        }
        if (!(relativeFloor >= 0) || Double.isInfinite(relativeFloor)) {
            throw new IllegalArgumentException(
                    "relative weighting floor must be >= 0 (0 = uniform) but was " + relativeFloor);
        }
    }

    /** The default {@link #relativeFloor()}, in nats. */
    public static final double DEFAULT_RELATIVE_FLOOR = 1e-3;

    /**
     * ToCom's recipe at our scale (AdamW 1e-3, cosine to 1e-5, no warm-up, decay 0.05, seed 0)
     * with relative pair weighting at a floor of {@value #DEFAULT_RELATIVE_FLOOR}: on the demo
     * model it turned the near-lossless pairs' KL from +140..+296 % to -16..-39 % with the lossy
     * pairs unchanged (src/docs/compensator.md).
     */
    public static TocomTrainConfig defaults(int epochs, int batchSize) {
        return new TocomTrainConfig(epochs, batchSize, 1e-3, 1e-5, 0, 0.05, 0, 20, 0, DEFAULT_RELATIVE_FLOOR);
    }

    /** Whether each pair's KL is divided by its plain KL ({@link #relativeFloor()} > 0). */
    public boolean relativeWeighting() {
        return relativeFloor > 0;
    }

    public TocomTrainConfig withRelativeFloor(double floor) {
        return new TocomTrainConfig(
                epochs,
                batchSize,
                lr,
                minLr,
                warmupEpochs,
                weightDecay,
                seed,
                logEverySteps,
                checkpointEverySteps,
                floor);
    }

    public TocomTrainConfig withLearningRate(double newLr, double newMinLr) {
        return new TocomTrainConfig(
                epochs,
                batchSize,
                newLr,
                newMinLr,
                warmupEpochs,
                weightDecay,
                seed,
                logEverySteps,
                checkpointEverySteps,
                relativeFloor);
    }

    public TocomTrainConfig withWarmupEpochs(double warmup) {
        return new TocomTrainConfig(
                epochs,
                batchSize,
                lr,
                minLr,
                warmup,
                weightDecay,
                seed,
                logEverySteps,
                checkpointEverySteps,
                relativeFloor);
    }

    public TocomTrainConfig withWeightDecay(double decay) {
        return new TocomTrainConfig(
                epochs,
                batchSize,
                lr,
                minLr,
                warmupEpochs,
                decay,
                seed,
                logEverySteps,
                checkpointEverySteps,
                relativeFloor);
    }

    public TocomTrainConfig withSeed(long newSeed) {
        return new TocomTrainConfig(
                epochs,
                batchSize,
                lr,
                minLr,
                warmupEpochs,
                weightDecay,
                newSeed,
                logEverySteps,
                checkpointEverySteps,
                relativeFloor);
    }

    public TocomTrainConfig withLogEverySteps(int steps) {
        return new TocomTrainConfig(
                epochs,
                batchSize,
                lr,
                minLr,
                warmupEpochs,
                weightDecay,
                seed,
                steps,
                checkpointEverySteps,
                relativeFloor);
    }

    public TocomTrainConfig withCheckpointEverySteps(int steps) {
        return new TocomTrainConfig(
                epochs, batchSize, lr, minLr, warmupEpochs, weightDecay, seed, logEverySteps, steps, relativeFloor);
    }
}
