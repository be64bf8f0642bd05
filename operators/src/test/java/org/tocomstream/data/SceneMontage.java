package org.tocomstream.data;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Writes the montage in {@code src/docs/images/synthetic-scenes.png}: one row per class of the
 * default generator (seed 1) with two samples, then frames of one camera across a segment boundary,
 * all at twice their size. Run from the repository root after {@code mvn -o -pl operators
 * test-compile}:
 *
 * <pre>{@code
 * java -cp operators/target/classes:operators/target/test-classes \
 *     org.tocomstream.data.SceneMontage src/docs/images/synthetic-scenes.png
 * }</pre>
 */
final class SceneMontage {

    // Pixel noise does not compress: each 64 × 64 scene costs about 11 KB of PNG, so the montage
    // shows 2 scenes per class and 4 camera frames to stay under 300 KB.
    static final int PER_CLASS = 2;
    static final int ZOOM = 2;
    static final int GAP = 4;
    static final int LABEL_WIDTH = 140;

    private SceneMontage() {}

    public static void main(String[] args) throws IOException {
        Path out = Paths.get(args.length > 0 ? args[0] : "synthetic-scenes.png");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.write(out, SceneImages.png(render(SceneGenerator.of(SceneConfig.defaults(), 1))));
        System.out.println("wrote " + out + " (" + Files.size(out) + " bytes)");
    }

    static BufferedImage render(SceneGenerator gen) {
        int k = gen.numClasses();
        int w = gen.config().width() * ZOOM + GAP;
        int h = gen.config().height() * ZOOM + GAP;
        int half = LABEL_WIDTH + PER_CLASS * w;
        int segment = gen.config().segmentFrames();
        long[] cameraFrames = {0, segment / 2, segment - 1, segment};
        int classRows = (k + 1) / 2;
        BufferedImage montage = new BufferedImage(
                Math.max(2 * half, LABEL_WIDTH + cameraFrames.length * w),
                (classRows + 1) * h,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = montage.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, montage.getWidth(), montage.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.setColor(Color.BLACK);
        // Two classes per row: class c sits in row c / 2, left or right half.
        int[] filled = new int[k];
        for (long i = 0; !allFull(filled); i++) {
            int label = gen.classOf(i);
            if (filled[label] < PER_CLASS) {
                int x = (label % 2) * half + LABEL_WIDTH + filled[label]++ * w;
                draw(g, gen.sample(i).image(), x, (label / 2) * h);
            }
        }
        for (int label = 0; label < k; label++) {
            g.drawString(gen.labels().get(label), (label % 2) * half + 8, (label / 2) * h + h / 2);
        }
        SyntheticCamera cam = gen.camera("cam-0");
        StringBuilder frames = new StringBuilder();
        for (int c = 0; c < cameraFrames.length; c++) {
            draw(g, cam.frame(cameraFrames[c]).image(), LABEL_WIDTH + c * w, classRows * h);
            frames.append(c == 0 ? "" : ", ").append(cameraFrames[c]);
        }
        g.drawString("camera cam-0,", 8, classRows * h + h / 2 - 10);
        g.drawString("frames " + frames, 8, classRows * h + h / 2 + 10);
        g.dispose();
        return montage;
    }

    private static boolean allFull(int[] filled) {
        for (int f : filled) {
            if (f < PER_CLASS) {
                return false;
            }
        }
        return true;
    }

    private static void draw(Graphics2D g, BufferedImage img, int x, int y) {
        g.drawImage(img, x, y, img.getWidth() * ZOOM, img.getHeight() * ZOOM, null);
    }
}
