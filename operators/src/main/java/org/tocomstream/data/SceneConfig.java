package org.tocomstream.data;

import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the synthetic scenes look like: frame size, classes, object scale and rotation, background
 * textures, pixel noise, clutter and, for {@link SyntheticCamera} streams, the length of a motion
 * segment and what lies behind the moving object ({@link CameraScene}). Immutable; the compact constructor validates every field and names the bad one.
 *
 * <p>Every scene shows exactly one class object (its label) over a textured background, with up to
 * {@link #maxDistractors} small blobs and thin lines under it that do not change the label. Object
 * sizes are the diameter of the circle the shape fits in, as a fraction of {@code min(width,
 * height)}; the object always lies wholly inside the centred {@code min(width, height)} square, so
 * a centre crop (timm's evaluation transform) never cuts it.
 *
 * <pre>{@code
 * SceneConfig cfg = SceneConfig.defaults();                 // 64 × 64, 8 classes
 * SceneConfig camera = cfg.withSize(640, 480).withNoiseStd(4);
 * }</pre>
 *
 * @param width frame width in pixels, 16 to 4096 (default 64)
 * @param height frame height in pixels, 16 to 4096 (default 64)
 * @param classes the classes in label order, at least 2 and no duplicates (default {@link
 *     SceneClass#defaults()})
 * @param minScale smallest object diameter relative to {@code min(width, height)} (default 0.25)
 * @param maxScale largest object diameter relative to {@code min(width, height)}, at most 0.95
 *     (default 0.6)
 * @param rotation whether objects are rotated by a uniform random angle (default true); without it
 *     every shape is drawn upright
 * @param backgrounds the texture kinds drawn from, non-empty (default all of {@link Background})
 * @param noiseStd largest standard deviation of the Gaussian pixel noise, in 8-bit levels, 0 to 64;
 *     each scene draws its own from {@code [0, noiseStd]} (default 10)
 * @param maxDistractors largest number of clutter items per scene, 0 to 32; each scene draws from
 *     {@code [0, maxDistractors]} (default 3)
 * @param segmentFrames frames per object segment of a camera stream, 2 to 1,000,000 (default 32)
 * @param cameraScene what lies behind a camera stream's moving object (default {@link
 *     CameraScene#SEGMENTS}: a new background every segment, fresh noise every frame; {@link
 *     CameraScene#STATIC}: one noiseless background per stream); still scenes ignore it
 */
public record SceneConfig(
        int width,
        int height,
        List<SceneClass> classes,
        double minScale,
        double maxScale,
        boolean rotation,
        Set<Background> backgrounds,
        double noiseStd,
        int maxDistractors,
        int segmentFrames,
        CameraScene cameraScene) {

    /** Smallest object diameter in pixels that keeps shapes tellable apart. */
    static final double MIN_OBJECT_PIXELS = 4.0;

    private static final SceneConfig DEFAULTS = new SceneConfig(
            64,
            64,
            SceneClass.defaults(),
            0.25,
            0.6,
            true,
            EnumSet.allOf(Background.class),
            10.0,
            3,
            32,
            CameraScene.SEGMENTS);

    public SceneConfig {
        requireRange("width", width, 16, 4096);
        requireRange("height", height, 16, 4096);
        if (classes == null || classes.size() < 2 || containsNull(classes)) {
            throw new IllegalArgumentException(
                    String.format("classes must hold at least 2 non-null classes but was %s", classes));
        }
        classes = List.copyOf(classes);
        if (new HashSet<>(classes).size() != classes.size()) {
            throw new IllegalArgumentException(String.format("classes must not repeat a class but was %s", classes));
        }
        if (!(minScale > 0 && minScale <= maxScale)) {
            throw new IllegalArgumentException(
                    String.format("minScale must be in (0, maxScale = %s] but was %s", maxScale, minScale));
        }
        if (!(maxScale <= 0.95)) {
            throw new IllegalArgumentException(
                    String.format("maxScale must be in [minScale, 0.95] but was %s", maxScale));
        }
        if (minScale * Math.min(width, height) < MIN_OBJECT_PIXELS) {
            throw new IllegalArgumentException(String.format(
                    "minScale × min(width, height) must be at least %s px but was %s × %d",
                    MIN_OBJECT_PIXELS, minScale, Math.min(width, height)));
        }
        if (backgrounds == null || backgrounds.isEmpty() || containsNull(backgrounds)) {
            throw new IllegalArgumentException(
                    String.format("backgrounds must name at least one Background but was %s", backgrounds));
        }
        // EnumSet iterates in declaration order whatever the caller's set, so draws are stable.
        backgrounds = Collections.unmodifiableSet(EnumSet.copyOf(backgrounds));
        if (!(noiseStd >= 0 && noiseStd <= 64)) {
            throw new IllegalArgumentException(
                    String.format("noiseStd must be in [0, 64] levels but was %s", noiseStd));
        }
        requireRange("maxDistractors", maxDistractors, 0, 32);
        requireRange("segmentFrames", segmentFrames, 2, 1_000_000);
        if (cameraScene == null) {
            throw new IllegalArgumentException("cameraScene must be SEGMENTS or STATIC but was null");
        }
    }

    /** 64 × 64 frames of the 8 {@linkplain SceneClass#defaults() default classes}. */
    public static SceneConfig defaults() {
        return DEFAULTS;
    }

    /** The number of classes K. */
    public int numClasses() {
        return classes.size();
    }

    public SceneConfig withSize(int newWidth, int newHeight) {
        return new SceneConfig(
                newWidth,
                newHeight,
                classes,
                minScale,
                maxScale,
                rotation,
                backgrounds,
                noiseStd,
                maxDistractors,
                segmentFrames,
                cameraScene);
    }

    public SceneConfig withClasses(List<SceneClass> newClasses) {
        return new SceneConfig(
                width,
                height,
                newClasses,
                minScale,
                maxScale,
                rotation,
                backgrounds,
                noiseStd,
                maxDistractors,
                segmentFrames,
                cameraScene);
    }

    public SceneConfig withScale(double newMinScale, double newMaxScale) {
        return new SceneConfig(
                width,
                height,
                classes,
                newMinScale,
                newMaxScale,
                rotation,
                backgrounds,
                noiseStd,
                maxDistractors,
                segmentFrames,
                cameraScene);
    }

    public SceneConfig withRotation(boolean newRotation) {
        return new SceneConfig(
                width,
                height,
                classes,
                minScale,
                maxScale,
                newRotation,
                backgrounds,
                noiseStd,
                maxDistractors,
                segmentFrames,
                cameraScene);
    }

    public SceneConfig withBackgrounds(Set<Background> newBackgrounds) {
        return new SceneConfig(
                width,
                height,
                classes,
                minScale,
                maxScale,
                rotation,
                newBackgrounds,
                noiseStd,
                maxDistractors,
                segmentFrames,
                cameraScene);
    }

    public SceneConfig withNoiseStd(double newNoiseStd) {
        return new SceneConfig(
                width,
                height,
                classes,
                minScale,
                maxScale,
                rotation,
                backgrounds,
                newNoiseStd,
                maxDistractors,
                segmentFrames,
                cameraScene);
    }

    public SceneConfig withMaxDistractors(int newMaxDistractors) {
        return new SceneConfig(
                width,
                height,
                classes,
                minScale,
                maxScale,
                rotation,
                backgrounds,
                noiseStd,
                newMaxDistractors,
                segmentFrames,
                cameraScene);
    }

    public SceneConfig withSegmentFrames(int newSegmentFrames) {
        return new SceneConfig(
                width,
                height,
                classes,
                minScale,
                maxScale,
                rotation,
                backgrounds,
                noiseStd,
                maxDistractors,
                newSegmentFrames,
                cameraScene);
    }

    public SceneConfig withCameraScene(CameraScene newCameraScene) {
        return new SceneConfig(
                width,
                height,
                classes,
                minScale,
                maxScale,
                rotation,
                backgrounds,
                noiseStd,
                maxDistractors,
                segmentFrames,
                newCameraScene);
    }

    private static boolean containsNull(Iterable<?> values) {
        // List.of(...).contains(null) throws, so look element by element.
        for (Object value : values) {
            if (value == null) {
                return true;
            }
        }
        return false;
    }

    private static void requireRange(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    String.format("%s must be in [%d, %d] but was %d", field, min, max, value));
        }
    }
}
