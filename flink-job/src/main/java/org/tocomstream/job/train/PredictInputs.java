package org.tocomstream.job.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.model.HostTensor;
import org.tocomstream.model.Npy;
import org.tocomstream.model.VitConfig;

/**
 * Expands {@code predict}'s INPUT arguments into one {@link Item} per image or {@code .npy}
 * sample, in output order.
 *
 * <ul>
 *   <li>A file ending in {@code .npy} (any case) is a float32/float64 [B, C, H, W] batch, already
 *       normalised; sample i is named {@code FILE[i]}. A file of the wrong shape is one failed
 *       item named {@code FILE}.
 *   <li>A directory contributes every {@code .jpg}, {@code .jpeg} and {@code .png} file beneath it,
 *       recursively, sorted by path; {@code .npy} files and other files in it are skipped. A
 *       directory without images is one failed item.
 *   <li>Any other path is an image file; it fails later if it cannot be decoded.
 * </ul>
 */
public final class PredictInputs {

    /** Image file name endings picked up inside directories. */
    static final List<String> IMAGE_EXTENSIONS = List.of(".jpg", ".jpeg", ".png");

    /**
     * One output line: an image file, one sample of a .npy batch, or an input that already failed.
     *
     * @param name as printed, the argument as given (directory entries: the directory argument
     *     joined with the path below it)
     * @param image the image file, or null
     * @param batch the .npy batch, or null
     * @param index the sample in {@code batch}
     * @param error why this input cannot be used, or null
     */
    record Item(String name, Path image, HostTensor batch, int index, String error) {
        static Item failed(String name, String error) {
            return new Item(name, null, null, -1, error);
        }
    }

    private PredictInputs() {}

    /** The items of all arguments, in argument order. */
    static List<Item> expand(List<String> args, VitConfig config) {
        List<Item> items = new ArrayList<>();
        for (String arg : args) {
            Path path = Paths.get(arg);
            if (Files.isDirectory(path)) {
                items.addAll(directory(arg, path));
            } else if (!Files.exists(path)) {
                items.add(Item.failed(arg, "no such file or directory"));
            } else if (arg.toLowerCase(Locale.ROOT).endsWith(".npy")) {
                items.addAll(npy(arg, path, config));
            } else {
                items.add(new Item(arg, path, null, -1, null));
            }
        }
        return items;
    }

    private static List<Item> directory(String arg, Path dir) {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(Files::isRegularFile)
                    .filter(PredictInputs::isImage)
                    .sorted()
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            return List.of(Item.failed(arg, "cannot list directory: " + Cli.describe(e)));
        }
        if (files.isEmpty()) {
            return List.of(Item.failed(arg, "no .jpg, .jpeg or .png files in this directory"));
        }
        List<Item> items = new ArrayList<>();
        for (Path f : files) {
            items.add(new Item(f.toString(), f, null, -1, null));
        }
        return items;
    }

    private static List<Item> npy(String arg, Path file, VitConfig config) {
        HostTensor batch;
        try {
            batch = Npy.read(file);
        } catch (IOException | RuntimeException e) {
            return List.of(Item.failed(arg, Cli.describe(e)));
        }
        long[] s = batch.shape();
        if (s.length != 4 || s[1] != config.inChannels() || s[2] != config.imageSize() || s[3] != config.imageSize()) {
            return List.of(Item.failed(
                    arg,
                    String.format(
                            "shape %s but the model expects [B, %d, %d, %d]",
                            batch.shapeText(), config.inChannels(), config.imageSize(), config.imageSize())));
        }
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < s[0]; i++) {
            items.add(new Item(arg + "[" + i + "]", null, batch, i, null));
        }
        return items;
    }

    private static boolean isImage(Path p) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return IMAGE_EXTENSIONS.stream().anyMatch(name::endsWith);
    }
}
