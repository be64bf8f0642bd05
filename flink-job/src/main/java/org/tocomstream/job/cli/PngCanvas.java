package org.tocomstream.job.cli;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

/**
 * The canvas the commands' plots are drawn on with plain {@code java.awt}, headless: a white,
 * antialiased RGB image, written as PNG.
 *
 * <pre>{@code
 * PngCanvas.write(file, 900, 600, g -> g.drawString("title", 10, 20));
 * }</pre>
 */
public final class PngCanvas {

    private PngCanvas() {}

    /**
     * Paints {@code painter} on a white {@code width} × {@code height} canvas and writes it to
     * {@code file} as PNG, creating the parent directories.
     *
     * @throws IOException when the file cannot be written
     */
    public static void write(Path file, int width, int height, Consumer<Graphics2D> painter) throws IOException {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            painter.accept(g);
        } finally {
            g.dispose();
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }
}
