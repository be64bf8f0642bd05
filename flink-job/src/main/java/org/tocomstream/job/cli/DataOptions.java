package org.tocomstream.job.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import org.tocomstream.data.CameraScene;
import org.tocomstream.data.SceneClass;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;

/**
 * The data-source options shared by {@code train} and {@code evaluate}: an image folder ({@code
 * --data DIR}) or the synthetic scene generator ({@code --generator}, with {@code --data-seed N}
 * and {@code --frame-size PX}), exactly one of them.
 */
public final class DataOptions {

    public static final String DATA = "--data";
    public static final String GENERATOR = "--generator";
    public static final String DATA_SEED = "--data-seed";
    public static final String FRAME_SIZE = "--frame-size";
    public static final String CLASSES = "--classes";
    public static final String OBJECT_SCALE = "--object-scale";
    public static final String NOISE = "--noise";

    /**
     * The synthetic cameras' scene ({@link CameraScene}); declared by the commands that build
     * cameras (produce, loadtest, ladder), with {@link #SCENE_HELP}.
     */
    public static final String SCENE = "--scene";

    public static final String SCENE_HELP = "synthetic cameras' scene: segments (default; a new background every\n"
            + "segment, fresh noise every frame) or static (a fixed camera: one noiseless\n"
            + "background per stream, only the moving object's patches change)";

    private DataOptions() {}

    /** Declares the options on {@code parser}. */
    public static OptionParser declare(OptionParser parser) {
        return parser.value(DATA, "DIR", "image folder DIR/<class>/<image>.jpg|.jpeg|.png")
                .flag(GENERATOR, "synthetic scenes (SceneGenerator, 8 classes)")
                .value(DATA_SEED, "N", "generator seed (default 0); the splits of one seed are disjoint")
                .value(FRAME_SIZE, "PX", "generator frame side in pixels, 16 to 4096 (default 64)")
                .value(
                        CLASSES,
                        "LIST",
                        "generator classes, comma-separated colour_shape labels in label"
                                + " order (default the 8 one-colour-each classes red_circle,orange_square,...)")
                .value(
                        OBJECT_SCALE,
                        "MIN,MAX",
                        "generator object diameter as a fraction of the frame"
                                + " side, drawn uniformly (default 0.25,0.6)")
                .value(NOISE, "STD", "generator pixel noise standard deviation in 8-bit levels" + " (default 10)");
    }

    /**
     * Fails unless exactly one of {@code --data} and {@code --generator} is given, or if a
     * generator-only option (the seed, the frame size and {@code generatorOnly}) comes without
     * {@code --generator}.
     */
    public static void check(ParsedArgs args, String... generatorOnly) throws UsageException {
        args.atMostOne(DATA, GENERATOR);
        if (!args.has(DATA) && !args.has(GENERATOR)) {
            throw args.error("give --data DIR or --generator");
        }
        args.requires(DATA_SEED, GENERATOR);
        args.requires(FRAME_SIZE, GENERATOR);
        args.requires(CLASSES, GENERATOR);
        args.requires(OBJECT_SCALE, GENERATOR);
        args.requires(NOISE, GENERATOR);
        for (String option : generatorOnly) {
            args.requires(option, GENERATOR);
        }
    }

    /** The generator's {@link SceneGenerator.Split#TRAIN} split, or null without {@code --generator}. */
    public static SceneGenerator generator(ParsedArgs args) throws UsageException {
        if (!args.has(GENERATOR)) {
            return null;
        }
        long seed = args.longValue(DATA_SEED).orElse(0);
        SceneConfig config = SceneConfig.defaults();
        OptionalInt px = args.positiveInt(FRAME_SIZE);
        if (px.isPresent()) {
            try {
                config = config.withSize(px.getAsInt(), px.getAsInt());
            } catch (IllegalArgumentException e) {
                throw args.error(FRAME_SIZE, e.getMessage());
            }
        }
        if (args.has(CLASSES)) {
            List<SceneClass> classes = new ArrayList<>();
            try {
                for (String label : args.string(CLASSES).orElseThrow().split(",", -1)) {
                    classes.add(SceneClass.parse(label));
                }
                config = config.withClasses(classes);
            } catch (IllegalArgumentException e) {
                throw args.error(CLASSES, e.getMessage());
            }
        }
        if (args.has(OBJECT_SCALE)) {
            String text = args.string(OBJECT_SCALE).orElseThrow();
            String[] parts = text.split(",", -1);
            try {
                if (parts.length != 2) {
                    throw new IllegalArgumentException("expected MIN,MAX such as 0.25,0.6");
                }
                config = config.withScale(Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim()));
            } catch (IllegalArgumentException e) {
                throw args.error(OBJECT_SCALE, "'" + text + "': " + e.getMessage());
            }
        }
        if (args.has(NOISE)) {
            String text = args.string(NOISE).orElseThrow();
            try {
                config = config.withNoiseStd(Double.parseDouble(text.trim()));
            } catch (IllegalArgumentException e) {
                throw args.error(NOISE, "'" + text + "': " + e.getMessage());
            }
        }
        return SceneGenerator.of(config, seed);
    }

    /** {@code config} with the camera scene of {@code --scene}, or unchanged without it. */
    public static SceneConfig scene(ParsedArgs args, SceneConfig config) throws UsageException {
        if (!args.has(SCENE)) {
            return config;
        }
        try {
            return config.withCameraScene(CameraScene.parse(args.string(SCENE).orElseThrow()));
        } catch (IllegalArgumentException e) {
            throw args.error(SCENE, e.getMessage());
        }
    }

    /** {@code "generator seed 0, TEST split, 64x64 frames"}. */
    public static String describe(SceneGenerator generator) {
        return String.format(
                Locale.ROOT,
                "generator seed %d, %s split, %dx%d frames",
                generator.seed(),
                generator.split(),
                generator.config().width(),
                generator.config().height());
    }
}
