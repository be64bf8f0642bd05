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
        int checkpointEverySteps) {

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
            throw new IllegalArgumentException(
                    "checkpoint interval must be >= 0 but was " + checkpointEverySteps);
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
                    String.format(
                            "warm-up epochs must be in [0, %d] but was %s", epochs, warmupEpochs));
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be >= 0 but was " + weightDecay);
        }
    }

    /** ToCom's recipe at our scale: AdamW 1e-3, cosine to 1e-5, no warm-up, decay 0.05, seed 0. */
    public static TocomTrainConfig defaults(int epochs, int batchSize) {
        return new TocomTrainConfig(epochs, batchSize, 1e-3, 1e-5, 0, 0.05, 0, 20, 0);
    }

    public TocomTrainConfig withLearningRate(double newLr, double newMinLr) {
        return new TocomTrainConfig(
                epochs, batchSize, newLr, newMinLr, warmupEpochs, weightDecay, seed, logEverySteps,
                checkpointEverySteps);
    }

    public TocomTrainConfig withWarmupEpochs(double warmup) {
        return new TocomTrainConfig(
                epochs, batchSize, lr, minLr, warmup, weightDecay, seed, logEverySteps,
                checkpointEverySteps);
    }

    public TocomTrainConfig withWeightDecay(double decay) {
        return new TocomTrainConfig(
                epochs, batchSize, lr, minLr, warmupEpochs, decay, seed, logEverySteps,
                checkpointEverySteps);
    }

    public TocomTrainConfig withSeed(long newSeed) {
        return new TocomTrainConfig(
                epochs, batchSize, lr, minLr, warmupEpochs, weightDecay, newSeed, logEverySteps,
                checkpointEverySteps);
    }

    public TocomTrainConfig withLogEverySteps(int steps) {
        return new TocomTrainConfig(
                epochs, batchSize, lr, minLr, warmupEpochs, weightDecay, seed, steps,
                checkpointEverySteps);
    }

    public TocomTrainConfig withCheckpointEverySteps(int steps) {
        return new TocomTrainConfig(
                epochs, batchSize, lr, minLr, warmupEpochs, weightDecay, seed, logEverySteps,
                steps);
    }
}
