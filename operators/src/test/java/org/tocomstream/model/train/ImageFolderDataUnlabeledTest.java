package org.tocomstream.model.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;

class ImageFolderDataUnlabeledTest {

    private static final ImagePreprocessor PRE = new ImagePreprocessor(ModelSpec.PreprocessConfig.deitEval(16));

    @Test
    void findsImagesAtAnyDepthWithoutLabels(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("a/b"));
        for (String name : new String[] {"x.png", "a/y.jpg", "a/b/z.png"}) {
            ImageIO.write(
                    new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB),
                    name.endsWith("png") ? "png" : "jpg",
                    root.resolve(name).toFile());
        }
        Files.writeString(root.resolve("notes.txt"), "not an image");

        ImageFolderData data = ImageFolderData.unlabeled(root, PRE);

        assertThat(data.size()).isEqualTo(3);
        assertThat(data.labels()).isEmpty();
        assertThat(data.get(2, null).label()).isEqualTo(-1);
        assertThat(data.get(0, null).pixels()).hasSize(3 * 16 * 16);
    }

    @Test
    void anEmptyFolderIsAnError(@TempDir Path root) {
        assertThatThrownBy(() -> ImageFolderData.unlabeled(root, PRE))
                .hasMessage("image folder " + root + " holds no .jpg/.jpeg/.png images");
    }
}
