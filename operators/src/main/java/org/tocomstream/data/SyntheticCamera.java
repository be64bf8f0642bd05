package org.tocomstream.data;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One synthetic camera: an endless stream of frames in which an object glides across the view.
 *
 * <p>The stream is cut into segments of {@link SceneConfig#segmentFrames()} frames. Within a
 * segment the background texture, its palette, the clutter and the noise level stay fixed; the
 * object (one class per segment) moves in a straight line across at least 40 % of the free space of
 * the centred square, turning slowly (up to 3° a frame, when rotation is on) and growing or
 * shrinking by up to 15 %; only the pixel noise is drawn afresh for every frame. At the segment
 * boundary a new object of the next class appears over a new background. Segment {@code s} of a
 * stream shows class {@code order[(s + offset) mod K]} of its generator, where the offset comes
 * from the stream id, so each camera cycles through all classes and cameras differ in phase.
 *
 * <p>That is the default {@link CameraScene#SEGMENTS}. With {@link SceneConfig#cameraScene()}
 * {@link CameraScene#STATIC} the camera is a fixed surveillance camera: the same objects follow the
 * same paths (same labels and {@link Frame#object() placements}), but over one background texture
 * and clutter chosen from the stream id for the whole stream, without pixel noise, so between
 * consecutive frames only the pixels within about a pixel of the object's outline in either frame
 * change. At 224 × 224 pixels and the default 32-frame segments the object moves 1.5 to 6 pixels
 * a frame (median 3.3).
 *
 * <p>{@link #frame(long) frame(n)} is a pure function of (config, seed, split, stream id, n), so a
 * consumer can recompute any frame, or its label, from its sequence number. Instances are immutable
 * and thread-safe; get one from {@link SceneGenerator#camera(String)}.
 *
 * <pre>{@code
 * SceneConfig cfg = SceneConfig.defaults().withSize(320, 240);
 * SyntheticCamera cam = SceneGenerator.of(cfg, 7).camera("cam-0");
 * for (long n = 0; n < 100; n++) {
 *     Frame f = cam.frame(n);
 *     producer.send(new ProducerRecord<>("frames", f.streamId(), f.jpeg(0.85f)));
 * }
 * }</pre>
 */
public final class SyntheticCamera {

    /** Minimum travel per segment, as a fraction of the free space on the main axis. */
    private static final double MIN_TRAVEL = 0.4;

    /** Largest turn per frame when rotation is on, radians (3°). */
    private static final double MAX_TURN = Math.toRadians(3);

    /** Largest relative size change over a segment. */
    private static final double MAX_GROWTH = 0.15;

    private final SceneGenerator generator;
    private final SceneConfig config;
    private final String streamId;
    private final long streamHash;
    private final int classOffset;

    /** A static camera's background for the whole stream; null for {@link CameraScene#SEGMENTS}. */
    private final ScenePlan.Texture fixedTexture;

    private final List<ScenePlan.Distractor> fixedClutter;

    SyntheticCamera(SceneGenerator generator, String streamId) {
        this.generator = generator;
        this.config = generator.config();
        this.streamId = streamId;
        this.streamHash = Rng.mix(fnv1a(streamId.getBytes(StandardCharsets.UTF_8)));
        this.classOffset = (int) Math.floorMod(streamHash, (long) generator.numClasses());
        if (config.cameraScene() == CameraScene.STATIC) {
            Rng rng = Rng.of(generator.streamKey(SceneGenerator.STATIC_BACKGROUND_SALT, streamHash, 0), 0, 0, 0);
            this.fixedTexture = SceneSampler.texture(rng, config);
            this.fixedClutter = SceneSampler.distractors(rng, config);
        } else {
            this.fixedTexture = null;
            this.fixedClutter = null;
        }
    }

    /** What lies behind the moving object: {@link SceneConfig#cameraScene()}. */
    public CameraScene scene() {
        return config.cameraScene();
    }

    public String streamId() {
        return streamId;
    }

    /** The segment of frame {@code sequence}: {@code sequence / segmentFrames}. */
    public long segmentOf(long sequence) {
        SceneGenerator.requireNonNegative("sequence", sequence);
        return sequence / config.segmentFrames();
    }

    /** The class index shown in frame {@code sequence}, without rendering it. */
    public int labelAt(long sequence) {
        return generator.classAt(segmentOf(sequence) + classOffset);
    }

    /**
     * Renders frame {@code sequence} of this stream.
     *
     * @throws IllegalArgumentException if {@code sequence} is negative
     */
    public Frame frame(long sequence) {
        long segment = segmentOf(sequence);
        int label = labelAt(sequence);
        SceneClass cls = config.classes().get(label);
        int t = (int) (sequence - segment * config.segmentFrames());

        // Both scenes draw the same plan for a segment, so the object and its path are the same;
        // a static camera then swaps in its fixed background and drops the noise.
        Rng rng = Rng.of(generator.streamKey(SceneGenerator.CAMERA_SALT, streamHash, segment), 0, 0, 0);
        ScenePlan.Texture texture = SceneSampler.texture(rng, config);
        List<ScenePlan.Distractor> clutter = SceneSampler.distractors(rng, config);
        ScenePlan.ObjectStyle style = SceneSampler.style(rng, cls);
        double noiseStd = SceneSampler.noiseStd(rng, config);
        Placement placement = placement(rng, t);
        if (fixedTexture != null) {
            texture = fixedTexture;
            clutter = fixedClutter;
            noiseStd = 0;
        }
        long noiseKey = generator.streamKey(SceneGenerator.FRAME_NOISE_SALT, streamHash, sequence);
        ScenePlan plan = new ScenePlan(texture, clutter, cls.shape(), style, placement, noiseStd, noiseKey);
        BufferedImage image = SceneRenderer.render(config.width(), config.height(), plan);
        return new Frame(streamId, sequence, segment, label, generator.labels().get(label), image, placement);
    }

    /** The object's place in frame {@code t} of its segment, from the segment's path drawn from {@code rng}. */
    private Placement placement(Rng rng, int t) {
        double progress = t / (double) (config.segmentFrames() - 1);
        double minSize = config.minScale() * Math.min(config.width(), config.height());
        double maxSize = config.maxScale() * Math.min(config.width(), config.height());
        double startSize = SceneSampler.size(rng, config);
        double endSize = clamp(startSize * (1 + rng.uniform(-MAX_GROWTH, MAX_GROWTH)), minSize, maxSize);
        double radius = Math.max(startSize, endSize) / 2;

        // The main axis gets a long crossing, the other a free drift; either axis may be main.
        boolean verticalMain = rng.nextBoolean();
        double[] main = SceneSampler.centreRange(config, verticalMain, radius);
        double[] cross = SceneSampler.centreRange(config, !verticalMain, radius);
        double from = rng.uniform(0, (1 - MIN_TRAVEL) / 2);
        double to = rng.uniform((1 + MIN_TRAVEL) / 2, 1);
        if (rng.nextBoolean()) {
            double swap = from;
            from = to;
            to = swap;
        }
        double mainStart = lerp(main[0], main[1], from);
        double mainEnd = lerp(main[0], main[1], to);
        double crossStart = rng.uniform(cross[0], cross[1]);
        double crossEnd = rng.uniform(cross[0], cross[1]);
        double startAngle = SceneSampler.angle(rng, config);
        double turn = config.rotation() ? rng.uniform(-MAX_TURN, MAX_TURN) : 0;

        double mainAt = lerp(mainStart, mainEnd, progress);
        double crossAt = lerp(crossStart, crossEnd, progress);
        return new Placement(
                verticalMain ? crossAt : mainAt,
                verticalMain ? mainAt : crossAt,
                lerp(startSize, endSize, progress),
                startAngle + turn * t);
    }

    private static long fnv1a(byte[] bytes) {
        long h = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static double lerp(double a, double b, double t) {
        return a + (b - a) * t;
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    @Override
    public String toString() {
        return String.format("SyntheticCamera{%s, %s}", streamId, generator);
    }
}
