package org.tocomstream.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;

/** Pixel helpers shared by the scene tests. */
final class SceneTesting {

    private SceneTesting() {}

    /** The packed RGB pixels of a {@code TYPE_INT_RGB} image (a copy). */
    static int[] pixels(BufferedImage image) {
        return ((DataBufferInt) SceneImages.toRgb(image).getRaster().getDataBuffer())
                .getData()
                .clone();
    }

    /** Hue in degrees, saturation and value in [0, 1] of a packed RGB pixel. */
    static double[] hsv(int rgb) {
        double r = ((rgb >> 16) & 0xff) / 255.0;
        double g = ((rgb >> 8) & 0xff) / 255.0;
        double b = (rgb & 0xff) / 255.0;
        double max = Math.max(r, Math.max(g, b));
        double min = Math.min(r, Math.min(g, b));
        double delta = max - min;
        double hue;
        if (delta == 0) {
            hue = 0;
        } else if (max == r) {
            hue = 60 * (((g - b) / delta) % 6);
        } else if (max == g) {
            hue = 60 * ((b - r) / delta + 2);
        } else {
            hue = 60 * ((r - g) / delta + 4);
        }
        return new double[] {(hue + 360) % 360, max == 0 ? 0 : delta / max, max};
    }

    /** Distance between two hues on the colour wheel, degrees in [0, 180]. */
    static double hueDistance(double a, double b) {
        double d = Math.abs(a - b) % 360;
        return Math.min(d, 360 - d);
    }
}
