package org.tocomstream.data;

import java.util.List;

/**
 * Every random choice of one image, drawn before any pixel is touched; {@link SceneRenderer} turns
 * it into pixels without further randomness except the pixel noise, which is keyed by {@code
 * noiseKey}. Colours are RGB in 8-bit levels (0 to 255) as doubles.
 */
record ScenePlan(
        Texture background,
        List<Distractor> distractors,
        SceneClass.Shape shape,
        ObjectStyle style,
        Placement placement,
        double noiseStd,
        long noiseKey) {

    /**
     * A background texture: {@code colour = a + (b - a) * t(x, y)}, with {@code t} in [0, 1] given
     * by the kind. Lengths are pixels; {@code angle} in radians.
     *
     * @param scale stripe period, checker cell or value-noise cell; for a gradient, the length over
     *     which it goes from {@code a} to {@code b}
     * @param sharpness stripe edge steepness (1 = triangle wave, larger = harder edges)
     * @param phase offset of the pattern in periods; for value noise, the lattice key
     */
    record Texture(
            Background kind,
            double[] a,
            double[] b,
            double angle,
            double scale,
            double sharpness,
            double phase,
            long latticeKey) {}

    /**
     * A clutter item: a dot of radius {@code halfWidth} ({@code halfLength == 0}) or a line segment
     * with round caps.
     */
    record Distractor(double x, double y, double angle, double halfLength, double halfWidth, double[] rgb) {}

    /**
     * The object's paint: a base colour with a linear shading of relative amplitude {@code shade}
     * across the object in direction {@code shadeAngle}.
     */
    record ObjectStyle(double[] rgb, double shade, double shadeAngle) {}
}
