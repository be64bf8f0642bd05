package org.tocomstream.model.train;

import java.util.Objects;
import org.tocomstream.compress.CompressionLevel;

/**
 * Settings of one supervised training run. Validated on construction; messages name the setting.
 *
 * @param epochs passes over the training data
 * @param batchSize examples per step (the last partial batch of an epoch is dropped)
 * @param lr peak learning rate (AdamW)
 * @param minLr learning rate at the end of the cosine decay
 * @param warmupEpochs linear warm-up length, in (possibly fractional) epochs
 * @param weightDecay decoupled weight decay on matrices (not on biases, norms, position embedding
 *     and prefix tokens)
 * @param labelSmoothing label smoothing of the cross-entropy, in [0, 1)
 * @param level compression the forward pass trains at (ToMe r, EViT rate, or none)
 * @param augment whether to apply random crop and flip
 * @param seed seeds initialisation, shuffling and augmentation
 * @param logEverySteps progress report interval in steps
 * @param idleRecipe IdleViT's fine-tuning recipe (masked form, token-cut loss, distillation from
 *     the starting weights), or null for plain supervised training; needs an IdleViT level
 */
public record TrainConfig(
        int epochs,
        int batchSize,
        double lr,
        double minLr,
        double warmupEpochs,
        double weightDecay,
        double labelSmoothing,
        CompressionLevel level,
        boolean augment,
        long seed,
        int logEverySteps,
        IdleRecipe idleRecipe) {

    public TrainConfig {
        positive("epochs", epochs);
        positive("batch size", batchSize);
        positive("log interval", logEverySteps);
        if (!(lr > 0)) {
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
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("weight decay must be >= 0 but was " + weightDecay);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1) but was " + labelSmoothing);
        }
        Objects.requireNonNull(level, "level");
        if (idleRecipe != null && level.method() != CompressionLevel.Method.IDLE) {
            throw new IllegalArgumentException(
                    "IdleViT's fine-tuning recipe needs an idle level but the level is " + level);
        }
    }

    /** Settings without IdleViT's recipe. */
    public TrainConfig(
            int epochs,
            int batchSize,
            double lr,
            double minLr,
            double warmupEpochs,
            double weightDecay,
            double labelSmoothing,
            CompressionLevel level,
            boolean augment,
            long seed,
            int logEverySteps) {
        this(
                epochs,
                batchSize,
                lr,
                minLr,
                warmupEpochs,
                weightDecay,
                labelSmoothing,
                level,
                augment,
                seed,
                logEverySteps,
                null);
    }

    /** Defaults for small ViTs trained from scratch: AdamW 1e-3, cosine to 1e-5, 1 warm-up epoch. */
    public static TrainConfig defaults(int epochs, int batchSize) {
        return new TrainConfig(
                epochs, batchSize, 1e-3, 1e-5, Math.min(1.0, epochs), 0.05, 0.1, CompressionLevel.none(), true, 0, 20);
    }

    public TrainConfig withLevel(CompressionLevel newLevel) {
        return new TrainConfig(
                epochs,
                batchSize,
                lr,
                minLr,
                warmupEpochs,
                weightDecay,
                labelSmoothing,
                newLevel,
                augment,
                seed,
                logEverySteps,
                idleRecipe);
    }

    public TrainConfig withLearningRate(double newLr, double newMinLr) {
        return new TrainConfig(
                epochs,
                batchSize,
                newLr,
                newMinLr,
                warmupEpochs,
                weightDecay,
                labelSmoothing,
                level,
                augment,
                seed,
                logEverySteps,
                idleRecipe);
    }

    public TrainConfig withSeed(long newSeed) {
        return new TrainConfig(
                epochs,
                batchSize,
                lr,
                minLr,
                warmupEpochs,
                weightDecay,
                labelSmoothing,
                level,
                augment,
                newSeed,
                logEverySteps,
                idleRecipe);
    }

    public TrainConfig withAugment(boolean on) {
        return new TrainConfig(
                epochs,
                batchSize,
                lr,
                minLr,
                warmupEpochs,
                weightDecay,
                labelSmoothing,
                level,
                on,
                seed,
                logEverySteps,
                idleRecipe);
    }

    public TrainConfig withWarmupEpochs(double epochsOfWarmup) {
        return new TrainConfig(
                epochs,
                batchSize,
                lr,
                minLr,
                epochsOfWarmup,
                weightDecay,
                labelSmoothing,
                level,
                augment,
                seed,
                logEverySteps,
                idleRecipe);
    }

    public TrainConfig withLogEverySteps(int steps) {
        return new TrainConfig(
                epochs,
                batchSize,
                lr,
                minLr,
                warmupEpochs,
                weightDecay,
                labelSmoothing,
                level,
                augment,
                seed,
                steps,
                idleRecipe);
    }

    /** A copy training with IdleViT's recipe ({@code null}: without). */
    public TrainConfig withIdleRecipe(IdleRecipe recipe) {
        return new TrainConfig(
                epochs,
                batchSize,
                lr,
                minLr,
                warmupEpochs,
                weightDecay,
                labelSmoothing,
                level,
                augment,
                seed,
                logEverySteps,
                recipe);
    }

    private static void positive(String what, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be > 0 but was " + v);
        }
    }
}
