package org.tocomstream.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import org.tocomstream.data.ScenePlan.Distractor;
import org.tocomstream.data.ScenePlan.ObjectStyle;
import org.tocomstream.data.ScenePlan.Texture;

/**
 * Draws a {@link ScenePlan} with plain loops over a float RGB buffer: background, clutter, the
 * object (antialiased through its signed distance), Gaussian noise, then rounding into a {@code
 * TYPE_INT_RGB} image. Only {@code + - * /}, {@code sqrt} and {@code floor} touch pixels, all
 * exactly specified in Java 17, so an image is the same bits on every JVM.
 */
final class SceneRenderer {

    private static final double SQRT1_2 = StrictMath.sqrt(0.5);

    /** Cross arms: half-thickness over half-length. */
    private static final double CROSS_RATIO = 0.3;

    /** Bar: width over length. */
    private static final double BAR_RATIO = 1.0 / 3;

    private static final double[] TRIANGLE = regularPolygon(3, 1.0, 1.0);
    private static final double[] STAR = regularPolygon(5, 1.0, 0.45);

    private SceneRenderer() {}

    static BufferedImage render(int width, int height, ScenePlan plan) {
        float[] rgb = new float[width * height * 3];
        background(rgb, width, height, plan.background());
        for (Distractor d : plan.distractors()) {
            distractor(rgb, width, height, d);
        }
        object(rgb, width, height, plan.shape(), plan.style(), plan.placement());
        return toImage(rgb, width, height, plan.noiseStd(), plan.noiseKey());
    }

    // ---- background ------------------------------------------------------------------------

    private static void background(float[] rgb, int width, int height, Texture tex) {
        double cos = StrictMath.cos(tex.angle());
        double sin = StrictMath.sin(tex.angle());
        double cx = width / 2.0;
        double cy = height / 2.0;
        float[] lattice = null;
        int latticeWidth = 0;
        if (tex.kind() == Background.VALUE_NOISE) {
            latticeWidth = (int) Math.ceil(width / tex.scale()) + 2;
            int latticeHeight = (int) Math.ceil(height / tex.scale()) + 2;
            lattice = new float[latticeWidth * latticeHeight];
            Rng rng = Rng.of(tex.latticeKey(), 0, 0, 0);
            for (int i = 0; i < lattice.length; i++) {
                lattice[i] = (float) rng.nextDouble();
            }
        }
        double[] a = tex.a();
        double[] b = tex.b();
        for (int y = 0; y < height; y++) {
            double py = y + 0.5 - cy;
            for (int x = 0; x < width; x++) {
                double px = x + 0.5 - cx;
                double t;
                switch (tex.kind()) {
                    case STRIPES: {
                        double u = (px * cos + py * sin) / tex.scale() + tex.phase();
                        double tri = Math.abs(2 * (u - Math.floor(u)) - 1);
                        t = clamp01((tri - 0.5) * tex.sharpness() + 0.5);
                        break;
                    }
                    case CHECKER: {
                        double u = (px * cos + py * sin) / tex.scale() + tex.phase();
                        double v = (py * cos - px * sin) / tex.scale() + tex.phase();
                        t = (((long) Math.floor(u) + (long) Math.floor(v)) & 1L);
                        break;
                    }
                    case GRADIENT:
                        t = clamp01(0.5 + (px * cos + py * sin) / tex.scale());
                        break;
                    case VALUE_NOISE:
                    default:
                        t = valueNoise(
                                lattice,
                                latticeWidth,
                                (x + 0.5) / tex.scale(),
                                (y + 0.5) / tex.scale(),
                                tex.sharpness());
                        break;
                }
                int i = (y * width + x) * 3;
                rgb[i] = (float) (a[0] + (b[0] - a[0]) * t);
                rgb[i + 1] = (float) (a[1] + (b[1] - a[1]) * t);
                rgb[i + 2] = (float) (a[2] + (b[2] - a[2]) * t);
            }
        }
    }

    /** Smoothstep-interpolated lattice noise, contrast-stretched around 0.5 by {@code gain}. */
    private static double valueNoise(float[] lattice, int stride, double u, double v, double gain) {
        int iu = (int) u;
        int iv = (int) v;
        double fu = u - iu;
        double fv = v - iv;
        fu = fu * fu * (3 - 2 * fu);
        fv = fv * fv * (3 - 2 * fv);
        int k = iv * stride + iu;
        double top = lattice[k] + (lattice[k + 1] - lattice[k]) * fu;
        double bottom = lattice[k + stride] + (lattice[k + stride + 1] - lattice[k + stride]) * fu;
        return clamp01(0.5 + (top + (bottom - top) * fv - 0.5) * gain);
    }

    // ---- clutter and object ----------------------------------------------------------------

    private static void distractor(float[] rgb, int width, int height, Distractor d) {
        double dx = StrictMath.cos(d.angle()) * d.halfLength();
        double dy = StrictMath.sin(d.angle()) * d.halfLength();
        double reach = d.halfLength() + d.halfWidth() + 1;
        int x0 = Math.max(0, (int) Math.floor(d.x() - reach));
        int x1 = Math.min(width - 1, (int) Math.ceil(d.x() + reach));
        int y0 = Math.max(0, (int) Math.floor(d.y() - reach));
        int y1 = Math.min(height - 1, (int) Math.ceil(d.y() + reach));
        double len2 = 4 * d.halfLength() * d.halfLength();
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                // Distance to the segment from (x - dx, y - dy) to (x + dx, y + dy).
                double wx = x + 0.5 - (d.x() - dx);
                double wy = y + 0.5 - (d.y() - dy);
                double h = len2 == 0 ? 0 : clamp01((wx * 2 * dx + wy * 2 * dy) / len2);
                double ex = wx - 2 * dx * h;
                double ey = wy - 2 * dy * h;
                double dist = Math.sqrt(ex * ex + ey * ey) - d.halfWidth();
                blend(rgb, (y * width + x) * 3, d.rgb(), 1.0, clamp01(0.5 - dist));
            }
        }
    }

    private static void object(
            float[] rgb, int width, int height, SceneClass.Shape shape, ObjectStyle style, Placement p) {
        double radius = p.size() / 2;
        double cos = StrictMath.cos(p.angle());
        double sin = StrictMath.sin(p.angle());
        double shadeX = StrictMath.cos(style.shadeAngle()) * style.shade() / radius;
        double shadeY = StrictMath.sin(style.shadeAngle()) * style.shade() / radius;
        int x0 = Math.max(0, (int) Math.floor(p.centerX() - radius - 1));
        int x1 = Math.min(width - 1, (int) Math.ceil(p.centerX() + radius + 1));
        int y0 = Math.max(0, (int) Math.floor(p.centerY() - radius - 1));
        int y1 = Math.min(height - 1, (int) Math.ceil(p.centerY() + radius + 1));
        for (int y = y0; y <= y1; y++) {
            double dy = y + 0.5 - p.centerY();
            for (int x = x0; x <= x1; x++) {
                double dx = x + 0.5 - p.centerX();
                // Rotate the pixel into the object's frame (inverse of the clockwise angle).
                double lx = dx * cos + dy * sin;
                double ly = -dx * sin + dy * cos;
                double coverage = clamp01(0.5 - distance(shape, lx / radius, ly / radius) * radius);
                if (coverage > 0) {
                    double light = 1 + dx * shadeX + dy * shadeY;
                    blend(rgb, (y * width + x) * 3, style.rgb(), light, coverage);
                }
            }
        }
    }

    /** Signed distance to the shape of circumradius 1 (negative inside), in radius units. */
    static double distance(SceneClass.Shape shape, double x, double y) {
        switch (shape) {
            case CIRCLE:
                return Math.sqrt(x * x + y * y) - 0.9;
            case RING:
                return Math.abs(Math.sqrt(x * x + y * y) - 0.72) - 0.28;
            case SQUARE:
                return box(x, y, SQRT1_2, SQRT1_2);
            case CROSS: {
                double arm = 1 / Math.sqrt(1 + CROSS_RATIO * CROSS_RATIO);
                double half = arm * CROSS_RATIO;
                return Math.min(box(x, y, arm, half), box(x, y, half, arm));
            }
            case BAR: {
                double half = 1 / Math.sqrt(1 + BAR_RATIO * BAR_RATIO);
                return box(x, y, half, half * BAR_RATIO);
            }
            case TRIANGLE:
                return polygon(TRIANGLE, x, y);
            case STAR:
                return polygon(STAR, x, y);
            default:
                throw new IllegalArgumentException("shape " + shape);
        }
    }

    private static double box(double x, double y, double halfX, double halfY) {
        double qx = Math.abs(x) - halfX;
        double qy = Math.abs(y) - halfY;
        double ox = Math.max(qx, 0);
        double oy = Math.max(qy, 0);
        return Math.sqrt(ox * ox + oy * oy) + Math.min(Math.max(qx, qy), 0);
    }

    /** Signed distance to a closed polygon given as x0, y0, x1, y1, ... (even-odd inside test). */
    private static double polygon(double[] v, double x, double y) {
        int n = v.length / 2;
        double best = Double.MAX_VALUE;
        boolean inside = false;
        for (int i = 0, j = n - 1; i < n; j = i++) {
            double vix = v[2 * i];
            double viy = v[2 * i + 1];
            double ex = v[2 * j] - vix;
            double ey = v[2 * j + 1] - viy;
            double wx = x - vix;
            double wy = y - viy;
            double h = clamp01((wx * ex + wy * ey) / (ex * ex + ey * ey));
            double bx = wx - ex * h;
            double by = wy - ey * h;
            best = Math.min(best, bx * bx + by * by);
            boolean up = y >= viy;
            boolean down = y < v[2 * j + 1];
            boolean left = ex * wy > ey * wx;
            if ((up && down && left) || (!up && !down && !left)) {
                inside = !inside;
            }
        }
        double d = Math.sqrt(best);
        return inside ? -d : d;
    }

    /**
     * A regular n-gon ({@code inner == outer}) or n-pointed star, apex up (towards negative y), as
     * a flat vertex array.
     */
    private static double[] regularPolygon(int points, double outer, double inner) {
        boolean star = inner != outer;
        int n = star ? 2 * points : points;
        double[] v = new double[2 * n];
        for (int k = 0; k < n; k++) {
            double r = star && (k % 2 == 1) ? inner : outer;
            double a = -Math.PI / 2 + 2 * Math.PI * k / n;
            v[2 * k] = r * StrictMath.cos(a);
            v[2 * k + 1] = r * StrictMath.sin(a);
        }
        return v;
    }

    // ---- compositing and output ------------------------------------------------------------

    private static void blend(float[] rgb, int i, double[] colour, double light, double alpha) {
        if (alpha <= 0) {
            return;
        }
        for (int c = 0; c < 3; c++) {
            double target = colour[c] * light;
            rgb[i + c] = (float) (rgb[i + c] + (target - rgb[i + c]) * alpha);
        }
    }

    private static BufferedImage toImage(float[] rgb, int width, int height, double noiseStd, long noiseKey) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] out = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
        float[] noise = new float[rgb.length];
        if (noiseStd > 0) {
            Rng.of(noiseKey, 1, 0, 0).fillNormal(noise);
        }
        float std = (float) noiseStd;
        for (int p = 0, i = 0; p < out.length; p++, i += 3) {
            int r = toByte(rgb[i] + std * noise[i]);
            int g = toByte(rgb[i + 1] + std * noise[i + 1]);
            int b = toByte(rgb[i + 2] + std * noise[i + 2]);
            out[p] = (r << 16) | (g << 8) | b;
        }
        return image;
    }

    private static int toByte(float v) {
        int q = (int) Math.floor(v + 0.5f);
        return q < 0 ? 0 : Math.min(q, 255);
    }

    static double clamp01(double v) {
        return v < 0 ? 0 : Math.min(v, 1);
    }
}
