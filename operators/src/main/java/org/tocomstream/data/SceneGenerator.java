package org.tocomstream.data;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tocomstream.model.train.LabelledImageSource;

/**
 * Synthetic labelled scenes: the project's stand-in for a dataset and for cameras. Each scene is
 * one object of a {@link SceneClass} (shape × colour) at a random position, size and rotation over
 * a textured, noisy background with some clutter (see {@link SceneConfig}).
 *
 * <p><b>Determinism.</b> {@link #sample(long) sample(i)} is a pure function of (config, seed,
 * split, i): rendering uses its own fully specified random generator and only exactly specified
 * arithmetic, so the same call gives the same pixels on any JVM, thread or run, and any index can
 * be rendered without rendering the ones before it.
 *
 * <p><b>Balance.</b> The class of index {@code i} is {@code order[i mod K]} for a permutation
 * {@code order} of the K classes drawn from the seed, so every run of {@code K·n} consecutive
 * indices holds exactly {@code n} scenes of each class. {@link #classOf(long)} tells the class
 * without rendering.
 *
 * <p><b>Splits.</b> {@link #split(Split)} returns the generator of the same seed for another split.
 * Each split draws its scenes from its own random stream (the split is part of every scene's key),
 * so training, validation and test scenes are independent; the class order is the seed's in all
 * three. {@link #of(SceneConfig, long)} gives the {@link Split#TRAIN} split.
 *
 * <p><b>Cameras.</b> {@link #camera(String)} gives a stream of frames with moving objects.
 *
 * <p><b>Training.</b> A generator is a {@link LabelledImageSource}: the trainer reads its scenes
 * through {@code GeneratedData} without knowing where they come from.
 *
 * <p>Instances are immutable and thread-safe; render in parallel freely.
 *
 * <pre>{@code
 * SceneGenerator train = SceneGenerator.of(SceneConfig.defaults(), 42);
 * SceneGenerator test = train.split(SceneGenerator.Split.TEST);
 * Sample s = train.sample(17);         // s.image(), s.label(), s.labelName()
 * byte[] png = s.png();
 * SyntheticCamera cam = test.camera("cam-3");
 * Frame f = cam.frame(1200);           // recomputable from its sequence number
 * }</pre>
 */
public final class SceneGenerator implements LabelledImageSource {

    /** Disjoint uses of the same seed. */
    public enum Split {
        TRAIN,
        VALIDATION,
        TEST
    }

    // Salts keep the random streams of different purposes apart.
    private static final long ORDER_SALT = 1;
    private static final long SAMPLE_SALT = 16;
    static final long CAMERA_SALT = 32;
    static final long FRAME_NOISE_SALT = 48;
    static final long STATIC_BACKGROUND_SALT = 64;

    private final SceneConfig config;
    private final long seed;
    private final Split split;
    private final int[] order;
    private final List<String> labels;

    private SceneGenerator(SceneConfig config, long seed, Split split, int[] order) {
        this.config = config;
        this.seed = seed;
        this.split = split;
        this.order = order;
        List<String> names = new ArrayList<>(config.numClasses());
        for (SceneClass cls : config.classes()) {
            names.add(cls.name());
        }
        this.labels = List.copyOf(names);
    }

    /** The {@link Split#TRAIN} generator of a seed. */
    public static SceneGenerator of(SceneConfig config, long seed) {
        Objects.requireNonNull(config, "config");
        return new SceneGenerator(config, seed, Split.TRAIN, classOrder(seed, config.numClasses()));
    }

    /** The generator of the same config and seed for {@code split}. */
    public SceneGenerator split(Split newSplit) {
        Objects.requireNonNull(newSplit, "split");
        return newSplit == split ? this : new SceneGenerator(config, seed, newSplit, order);
    }

    public SceneConfig config() {
        return config;
    }

    public long seed() {
        return seed;
    }

    public Split split() {
        return split;
    }

    /** Class labels in class-index order, e.g. {@code red_circle}. */
    @Override
    public List<String> labels() {
        return labels;
    }

    /** The number of classes K. */
    public int numClasses() {
        return order.length;
    }

    /**
     * The class index of sample {@code index}, without rendering it.
     *
     * @throws IllegalArgumentException if {@code index} is negative
     */
    public int classOf(long index) {
        requireNonNegative("index", index);
        return order[(int) (index % order.length)];
    }

    /**
     * Renders sample {@code index} of this split.
     *
     * @throws IllegalArgumentException if {@code index} is negative
     */
    @Override
    public Sample sample(long index) {
        int label = classOf(index);
        SceneClass cls = config.classes().get(label);
        Rng rng = Rng.of(seed, SAMPLE_SALT + split.ordinal(), index, 0);
        ScenePlan.Texture texture = SceneSampler.texture(rng, config);
        List<ScenePlan.Distractor> clutter = SceneSampler.distractors(rng, config);
        ScenePlan.ObjectStyle style = SceneSampler.style(rng, cls);
        double size = SceneSampler.size(rng, config);
        double[] xs = SceneSampler.centreRange(config, false, size / 2);
        double[] ys = SceneSampler.centreRange(config, true, size / 2);
        Placement placement = new Placement(
                rng.uniform(xs[0], xs[1]), rng.uniform(ys[0], ys[1]), size, SceneSampler.angle(rng, config));
        double noiseStd = SceneSampler.noiseStd(rng, config);
        ScenePlan plan = new ScenePlan(texture, clutter, cls.shape(), style, placement, noiseStd, rng.nextLong());
        BufferedImage image = SceneRenderer.render(config.width(), config.height(), plan);
        return new Sample(index, label, labels.get(label), image, placement);
    }

    /**
     * The camera {@code streamId} of this split: frames whose object moves smoothly, changing class
     * every {@link SceneConfig#segmentFrames()} frames.
     */
    public SyntheticCamera camera(String streamId) {
        if (streamId == null || streamId.isEmpty()) {
            throw new IllegalArgumentException("streamId must be non-empty");
        }
        return new SyntheticCamera(this, streamId);
    }

    /** The class order: index {@code i} shows class {@code order[i mod K]}. */
    int classAt(long position) {
        return order[(int) Math.floorMod(position, (long) order.length)];
    }

    long streamKey(long salt, long a, long b) {
        return Rng.key(seed, salt + split.ordinal(), a, b);
    }

    private static int[] classOrder(long seed, int k) {
        int[] order = new int[k];
        for (int i = 0; i < k; i++) {
            order[i] = i;
        }
        Rng rng = Rng.of(seed, ORDER_SALT, 0, 0);
        for (int i = k - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    static void requireNonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(String.format("%s must be >= 0 but was %d", name, value));
        }
    }

    @Override
    public String toString() {
        return String.format(
                "SceneGenerator{seed=%d, split=%s, %d×%d, classes=%s}",
                seed, split, config.width(), config.height(), labels);
    }
}
