package org.tocomstream.job.train;

import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.model.train.Distillation;

/**
 * {@code train}'s distillation options: {@code --teacher DIR} and the settings of {@link
 * Distillation}, and {@code --images DIR} (unlabelled training frames, which need a teacher).
 */
final class DistillOptions {

    static final String TEACHER = "--teacher";
    static final String PROJECTORS = "--projectors";
    static final String FEATURE_WEIGHT = "--feature-weight";
    static final String KD_WEIGHT = "--kd-weight";
    static final String NO_KD = "--no-kd";
    static final String TEMPERATURE = "--temperature";
    static final String IMAGES = "--images";

    private DistillOptions() {}

    static OptionParser declare(OptionParser parser) {
        return parser.value(
                        TEACHER,
                        "DIR",
                        "model directory to distil from (frozen; labels and input size\nas the student's)")
                .value(PROJECTORS, "Q", "--teacher's projector ensemble size (default 3; 1 allowed)")
                .value(FEATURE_WEIGHT, "B", "--teacher's feature distillation weight β (default 25; 0 = none)")
                .value(KD_WEIGHT, "W", "--teacher's logit distillation weight (default 1)")
                .flag(NO_KD, "--teacher without logit distillation (feature term only)")
                .value(TEMPERATURE, "T", "--teacher's logit distillation temperature (default 4)")
                .value(IMAGES, "DIR", "unlabelled training frames, any depth (needs --teacher)");
    }

    /**
     * The distillation settings when {@code --teacher} is given, else null; refuses its options
     * without it, and with IdleViT's recipe or a compression level.
     */
    static Distillation parse(ParsedArgs args, CompressionLevel level, String idleRecipe) throws UsageException {
        for (String option : new String[] {PROJECTORS, FEATURE_WEIGHT, KD_WEIGHT, NO_KD, TEMPERATURE, IMAGES}) {
            args.requires(option, TEACHER);
        }
        if (!args.has(TEACHER)) {
            return null;
        }
        args.atMostOne(TEACHER, idleRecipe);
        args.atMostOne(KD_WEIGHT, NO_KD);
        if (!level.isNone()) {
            throw args.error(TEACHER, "trains the student at no compression but the level is " + level);
        }
        int projectors = args.positiveInt(PROJECTORS, Distillation.DEFAULT_PROJECTORS);
        double beta = args.number(
                FEATURE_WEIGHT, Distillation.DEFAULT_FEATURE_WEIGHT, x -> x >= 0 && x < 1e6, "a number in [0, 1e6)");
        double kd = args.has(NO_KD)
                ? 0
                : args.number(
                        KD_WEIGHT, Distillation.DEFAULT_KD_WEIGHT, x -> x >= 0 && x < 1e6, "a number in [0, 1e6)");
        double t = args.number(
                TEMPERATURE, Distillation.DEFAULT_TEMPERATURE, x -> x > 0 && x < 1e3, "a number in (0, 1e3)");
        if (beta == 0 && kd == 0) {
            throw args.error(FEATURE_WEIGHT, "is 0 and logit distillation is off: nothing to distil");
        }
        return new Distillation(projectors, beta, kd, t);
    }

    /**
     * The data options: {@code --images} excludes {@code --data} and {@code --generator};
     * otherwise exactly one of those as {@link DataOptions#check} demands.
     */
    static void checkData(ParsedArgs args, String... generatorOnly) throws UsageException {
        if (!args.has(IMAGES)) {
            DataOptions.check(args, generatorOnly);
            return;
        }
        args.atMostOne(IMAGES, DataOptions.DATA);
        args.atMostOne(IMAGES, DataOptions.GENERATOR);
        for (String option : generatorOnly) {
            args.requires(option, DataOptions.GENERATOR);
        }
        for (String option : new String[] {
            DataOptions.DATA_SEED,
            DataOptions.FRAME_SIZE,
            DataOptions.CLASSES,
            DataOptions.OBJECT_SCALE,
            DataOptions.NOISE
        }) {
            args.requires(option, DataOptions.GENERATOR);
        }
    }
}
