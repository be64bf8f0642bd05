package org.tocomstream.data;

import java.util.ArrayList;
import java.util.List;
import org.tocomstream.data.ScenePlan.Distractor;
import org.tocomstream.data.ScenePlan.ObjectStyle;
import org.tocomstream.data.ScenePlan.Texture;

/**
 * The distributions of the scene parameters. Each method draws from the given generator in a fixed
 * order, so a plan is a pure function of the generator's key.
 */
final class SceneSampler {

    /** Hue jitter around the class colour, degrees either way. */
    static final double HUE_JITTER = 10;

    /** Background saturation cap: muted, so the saturated object stands out. */
    static final double BACKGROUND_MAX_SATURATION = 0.45;

    private SceneSampler() {}

    static Texture texture(Rng rng, SceneConfig config) {
        List<Background> kinds = List.copyOf(config.backgrounds());
        Background kind = kinds.get(rng.nextInt(kinds.size()));
        double minDim = Math.min(config.width(), config.height());
        double hue = rng.uniform(0, 360);
        double[] a = hsv(hue, rng.uniform(0, BACKGROUND_MAX_SATURATION), rng.uniform(0.2, 0.9));
        double contrast = rng.uniform(0.08, 0.45) * (rng.nextBoolean() ? 1 : -1);
        double valueB = hsvValue(a) + contrast;
        if (valueB < 0.1 || valueB > 0.95) {
            valueB = hsvValue(a) - contrast;
        }
        double[] b = hsv(
                hue + rng.uniform(-90, 90),
                rng.uniform(0, BACKGROUND_MAX_SATURATION),
                Math.max(0.05, Math.min(0.95, valueB)));
        double angle = rng.uniform(0, Math.PI);
        double phase = rng.nextDouble();
        double sharpness;
        double scale;
        switch (kind) {
            case STRIPES:
                scale = minDim * rng.uniform(0.06, 0.3);
                sharpness = rng.uniform(1, 6);
                break;
            case CHECKER:
                scale = minDim * rng.uniform(0.06, 0.25);
                sharpness = 1;
                break;
            case GRADIENT:
                scale = minDim * rng.uniform(0.6, 1.6);
                sharpness = 1;
                break;
            case VALUE_NOISE:
            default:
                scale = minDim * rng.uniform(0.08, 0.3);
                sharpness = rng.uniform(1, 2.5);
                break;
        }
        return new Texture(kind, a, b, angle, scale, sharpness, phase, rng.nextLong());
    }

    static List<Distractor> distractors(Rng rng, SceneConfig config) {
        int count = rng.nextInt(config.maxDistractors() + 1);
        double minDim = Math.min(config.width(), config.height());
        double pixel = Math.max(1, minDim / 64);
        // Dots stay well below the smallest object so they never pass for one.
        double maxDot = Math.max(0.7, 0.2 * config.minScale() * minDim);
        List<Distractor> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            double x = rng.uniform(0, config.width());
            double y = rng.uniform(0, config.height());
            double angle = rng.uniform(0, Math.PI);
            boolean line = rng.nextBoolean();
            double halfLength = line ? minDim * rng.uniform(0.04, 0.15) : 0;
            double halfWidth = line ? pixel * rng.uniform(0.35, 0.8) : rng.uniform(0.5 * maxDot, maxDot);
            double[] rgb = hsv(rng.uniform(0, 360), rng.uniform(0.3, 1), rng.uniform(0.3, 1));
            items.add(new Distractor(x, y, angle, halfLength, halfWidth, rgb));
        }
        return List.copyOf(items);
    }

    static ObjectStyle style(Rng rng, SceneClass cls) {
        double[] rgb = hsv(
                cls.colour().hueDegrees() + rng.uniform(-HUE_JITTER, HUE_JITTER),
                rng.uniform(0.7, 1),
                rng.uniform(0.7, 1));
        return new ObjectStyle(rgb, rng.uniform(0, 0.25), rng.uniform(0, 2 * Math.PI));
    }

    /** A diameter in pixels, uniform over the configured scale range. */
    static double size(Rng rng, SceneConfig config) {
        return rng.uniform(config.minScale(), config.maxScale()) * Math.min(config.width(), config.height());
    }

    static double angle(Rng rng, SceneConfig config) {
        return config.rotation() ? rng.uniform(0, 2 * Math.PI) : 0;
    }

    /**
     * The range of centre x (or y) that keeps an object of {@code radius} inside the centred {@code
     * min(width, height)} square: {@code {lo, hi}}.
     */
    static double[] centreRange(SceneConfig config, boolean vertical, double radius) {
        int extent = vertical ? config.height() : config.width();
        int minDim = Math.min(config.width(), config.height());
        double lo = (extent - minDim) / 2.0 + radius;
        return new double[] {lo, lo + minDim - 2 * radius};
    }

    static double noiseStd(Rng rng, SceneConfig config) {
        return rng.uniform(0, config.noiseStd());
    }

    /** HSV (hue in degrees, saturation and value in [0, 1]) to RGB in 8-bit levels. */
    static double[] hsv(double hueDegrees, double saturation, double value) {
        double h = ((hueDegrees % 360) + 360) % 360 / 60;
        int sector = (int) h;
        double f = h - sector;
        double p = value * (1 - saturation);
        double q = value * (1 - saturation * f);
        double t = value * (1 - saturation * (1 - f));
        double r;
        double g;
        double b;
        switch (sector) {
            case 0:
                r = value;
                g = t;
                b = p;
                break;
            case 1:
                r = q;
                g = value;
                b = p;
                break;
            case 2:
                r = p;
                g = value;
                b = t;
                break;
            case 3:
                r = p;
                g = q;
                b = value;
                break;
            case 4:
                r = t;
                g = p;
                b = value;
                break;
            default:
                r = value;
                g = p;
                b = q;
                break;
        }
        return new double[] {255 * r, 255 * g, 255 * b};
    }

    private static double hsvValue(double[] rgb) {
        return Math.max(rgb[0], Math.max(rgb[1], rgb[2])) / 255;
    }
}
