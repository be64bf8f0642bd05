package org.tocomstream.model.train;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

/**
 * Simple label-preserving augmentation applied before the model's own preprocessing: a random crop
 * keeping 75-100 % of the area (aspect 3:4 to 4:3), then a horizontal flip half of the time.
 */
final class Augment {

    private static final double MIN_AREA = 0.75;

    private Augment() {}

    static BufferedImage apply(BufferedImage image, SplittableRandom rnd) {
        int w = image.getWidth();
        int h = image.getHeight();
        double area = MIN_AREA + (1 - MIN_AREA) * rnd.nextDouble();
        double aspect = Math.exp(Math.log(0.75) + (Math.log(4.0 / 3) - Math.log(0.75)) * rnd.nextDouble());
        int cw = (int) Math.round(Math.min(w, Math.sqrt(area * w * h * aspect)));
        int ch = (int) Math.round(Math.min(h, Math.sqrt(area * w * h / aspect)));
        cw = Math.max(1, cw);
        ch = Math.max(1, ch);
        int x0 = w == cw ? 0 : rnd.nextInt(w - cw + 1);
        int y0 = h == ch ? 0 : rnd.nextInt(h - ch + 1);
        boolean flip = rnd.nextBoolean();
        BufferedImage out = new BufferedImage(cw, ch, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            if (flip) {
                g.drawImage(image, cw, 0, 0, ch, x0, y0, x0 + cw, y0 + ch, null);
            } else {
                g.drawImage(image, 0, 0, cw, ch, x0, y0, x0 + cw, y0 + ch, null);
            }
        } finally {
            g.dispose();
        }
        return out;
    }
}
