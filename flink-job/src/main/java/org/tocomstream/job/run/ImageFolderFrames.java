package org.tocomstream.job.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.tocomstream.job.kafka.FramePublisher;

/**
 * The image files of a directory ({@code .jpg}, {@code .jpeg}, {@code .png}, in name order, not
 * recursive), published byte for byte: frame {@code n} of every stream is file {@code n} (modulo
 * the count when looping).
 */
public final class ImageFolderFrames implements FramePublisher.FrameSupplier {

    private final List<Path> files;
    private final boolean loop;

    private ImageFolderFrames(List<Path> files, boolean loop) {
        this.files = files;
        this.loop = loop;
    }

    /** @throws IOException when the directory cannot be listed or holds no image file */
    static ImageFolderFrames open(Path dir, boolean loop) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("not a directory: " + dir);
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(Files::isRegularFile)
                    .filter(p -> contentType(p) != null)
                    .sorted()
                    .collect(Collectors.toList());
        }
        if (files.isEmpty()) {
            throw new IOException("no .jpg, .jpeg or .png file in " + dir);
        }
        return new ImageFolderFrames(files, loop);
    }

    int size() {
        return files.size();
    }

    @Override
    public FramePublisher.Encoded next(int stream, long seq) throws IOException {
        if (!loop && seq >= files.size()) {
            return null;
        }
        Path file = files.get((int) (seq % files.size()));
        return new FramePublisher.Encoded(Files.readAllBytes(file), contentType(file));
    }

    static String contentType(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jpg") || name.endsWith(".jpeg")) {
            return "image/jpeg";
        }
        if (name.endsWith(".png")) {
            return "image/png";
        }
        return null;
    }
}
