package org.tocomstream.model.train;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.tocomstream.model.ImageDecodeException;
import org.tocomstream.model.ImagePreprocessor;

/**
 * An image folder laid out as {@code root/<class>/<image>.{jpg,jpeg,png}}: class names are the
 * sub-directory names in sorted order. Images are decoded on each access (no cache), so memory
 * stays flat whatever the folder's size.
 */
public final class ImageFolderData implements TrainingData {

    private final List<String> labels;
    private final List<Path> files;
    private final int[] fileLabels;
    private final ImagePreprocessor preprocessor;

    private ImageFolderData(List<String> labels, List<Path> files, int[] fileLabels, ImagePreprocessor preprocessor) {
        this.labels = labels;
        this.files = files;
        this.fileLabels = fileLabels;
        this.preprocessor = preprocessor;
    }

    /**
     * Indexes {@code root}.
     *
     * @param labels class names to use, in label order (a model's labels), or null to take the
     *     sorted sub-directory names
     * @throws IOException if the folder is missing, empty, or names a class the labels lack
     */
    public static ImageFolderData open(Path root, List<String> labels, ImagePreprocessor pre) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("image folder " + root + " does not exist or is not a directory");
        }
        List<String> dirs;
        try (Stream<Path> s = Files.list(root)) {
            dirs = s.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .sorted()
                    .collect(Collectors.toList());
        }
        List<String> classes = labels == null ? dirs : List.copyOf(labels);
        List<Path> files = new ArrayList<>();
        List<Integer> fileLabels = new ArrayList<>();
        for (String dir : dirs) {
            int label = classes.indexOf(dir);
            if (label < 0) {
                throw new IOException(String.format(
                        "image folder %s has class directory '%s' that is not among the labels %s",
                        root, dir, classes));
            }
            try (Stream<Path> s = Files.list(root.resolve(dir))) {
                for (Path f : s.filter(ImageFolderData::isImage).sorted().collect(Collectors.toList())) {
                    files.add(f);
                    fileLabels.add(label);
                }
            }
        }
        if (files.isEmpty()) {
            throw new IOException("image folder " + root + " holds no .jpg/.jpeg/.png images in class sub-directories");
        }
        return new ImageFolderData(
                classes, files, fileLabels.stream().mapToInt(Integer::intValue).toArray(), pre);
    }

    /**
     * Every .jpg/.jpeg/.png under {@code root}, at any depth, in sorted path order, without labels
     * ({@link #labels()} is empty and every example's label is -1): unlabelled frames for
     * self-distillation.
     *
     * @throws IOException if the folder is missing or holds no images
     */
    public static ImageFolderData unlabeled(Path root, ImagePreprocessor pre) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IOException("image folder " + root + " does not exist or is not a directory");
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(root)) {
            files = s.filter(ImageFolderData::isImage).sorted().collect(Collectors.toList());
        }
        if (files.isEmpty()) {
            throw new IOException("image folder " + root + " holds no .jpg/.jpeg/.png images");
        }
        int[] labels = new int[files.size()];
        java.util.Arrays.fill(labels, -1);
        return new ImageFolderData(List.of(), files, labels, pre);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public List<String> labels() {
        return labels;
    }

    @Override
    public Example get(int index, SplittableRandom augment) {
        Path file = files.get(index);
        try {
            BufferedImage image = ImageIO.read(file.toFile());
            if (image == null) {
                throw new ImageDecodeException(file + ": not a decodable image");
            }
            if (augment != null) {
                image = Augment.apply(image, augment);
            }
            return new Example(preprocessor.preprocess(image), fileLabels[index]);
        } catch (IOException | ImageDecodeException e) {
            throw new IllegalArgumentException("cannot read training image " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(p) && (n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png"));
    }
}
