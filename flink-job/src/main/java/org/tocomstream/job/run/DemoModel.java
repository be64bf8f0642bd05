package org.tocomstream.job.run;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.tocomstream.compensate.TokenCompensator;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.data.SceneGenerator;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.Safetensors;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitInit;

/**
 * The model of the local run when no {@code --model} is given: the demo model bundled in the job
 * jar under {@value #RESOURCE_DIR} with its Token Compensator (extracted to a temporary directory,
 * since model directories are read from files), or, in a build without it, the {@code vit_demo} architecture with random
 * weights (right shapes and labels, meaningless scores), with a warning.
 */
public final class DemoModel {

    /**
     * Classpath directory of the bundled demo model: {@code model.json}, its weights file, and its
     * Token Compensator ({@code tocom.safetensors} and {@code tocom.json}).
     */
    public static final String RESOURCE_DIR = "demo-model/";

    /** Preset of the stand-in model. */
    static final String PRESET = "vit_demo";

    /** Where the model came from, and whether its directory is temporary. */
    public record Resolved(Path dir, String description, boolean temporary, boolean randomWeights) {}

    private DemoModel() {}

    /** The bundled model, else a random-weights {@code vit_demo}, in a new temporary directory. */
    public static Resolved resolve() throws IOException {
        Path dir = Files.createTempDirectory("tocom-stream-model-");
        ClassLoader cl = DemoModel.class.getClassLoader();
        try (InputStream spec = cl.getResourceAsStream(RESOURCE_DIR + ModelSpec.FILE_NAME)) {
            if (spec != null) {
                Files.copy(spec, dir.resolve(ModelSpec.FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
                ModelSpec s = ModelSpec.read(dir);
                try (InputStream weights = cl.getResourceAsStream(RESOURCE_DIR + s.weightsFile())) {
                    if (weights == null) {
                        throw new IOException("bundled demo model lacks its weights file " + s.weightsFile());
                    }
                    Files.copy(weights, s.weightsPath(dir), StandardCopyOption.REPLACE_EXISTING);
                }
                boolean plugin = copyPlugin(cl, dir);
                return new Resolved(
                        dir,
                        "bundled demo model (" + s.architecture().name() + ")"
                                + (plugin ? " with its Token Compensator (" + TokenCompensator.FILE_NAME + ")" : ""),
                        true,
                        false);
            }
        }
        writeRandom(dir, 0);
        return new Resolved(dir, PRESET + " with random weights (no bundled demo model in this build)", true, true);
    }

    /**
     * Copies the bundled model's Token Compensator ({@value TokenCompensator#FILE_NAME} and its
     * sidecar) into {@code dir}, so that the stream applies it ({@code vit.model.compensator =
     * auto}); false when the build bundles none.
     */
    private static boolean copyPlugin(ClassLoader cl, Path dir) throws IOException {
        Path file = dir.resolve(TokenCompensator.FILE_NAME);
        Path sidecar = TokenCompensator.sidecarPath(file);
        try (InputStream plugin = cl.getResourceAsStream(RESOURCE_DIR + file.getFileName());
                InputStream meta = cl.getResourceAsStream(RESOURCE_DIR + sidecar.getFileName())) {
            if (plugin == null) {
                return false;
            }
            if (meta == null) {
                throw new IOException(
                        "bundled demo model's " + file.getFileName() + " lacks its sidecar " + sidecar.getFileName());
            }
            Files.copy(plugin, file, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(meta, sidecar, StandardCopyOption.REPLACE_EXISTING);
            return true;
        }
    }

    /** Deletes a model directory this class made; problems are ignored (it is in the temp dir). */
    public static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // Left for the OS to clean up with the rest of the temp dir.
        }
    }

    /**
     * Writes a {@value #PRESET} model directory with random weights and the scene generator's
     * labels to {@code dir}.
     */
    public static Path writeRandom(Path dir, long seed) throws IOException {
        return writeRandom(dir, PRESET, seed);
    }

    /**
     * Writes a model directory of architecture {@code preset} with random weights to {@code dir};
     * labels are the scene generator's when the preset has as many classes, else {@code class_i}.
     */
    public static Path writeRandom(Path dir, String preset, long seed) throws IOException {
        VitConfig cfg = VitConfig.preset(preset);
        List<String> scenes = SceneGenerator.of(SceneConfig.defaults(), 0).labels();
        List<String> labels = scenes.size() == cfg.numClasses()
                ? scenes
                : IntStream.range(0, cfg.numClasses())
                        .mapToObj(i -> "class_" + i)
                        .collect(Collectors.toList());
        ModelSpec spec = ModelSpec.of(cfg, labels).withSource("random weights (truncated normal, seed " + seed + ")");
        spec.write(dir);
        Safetensors.write(spec.weightsPath(dir), VitInit.truncatedNormal(cfg, seed), Map.of());
        return dir;
    }

    /**
     * The start lines with the bundled model's temporary unpack directory, which is deleted when
     * the run ends, replaced in the {@code ladder --model} hint by a copy the user keeps.
     */
    static String hintForACopy(String lines, Path unpacked) {
        String temp = "ladder --model " + unpacked;
        if (!lines.contains(temp)) {
            return lines;
        }
        return lines.replace(temp, "ladder --model DIR")
                + " (DIR: a copy of the bundled model, flink-job/src/main/resources/demo-model in the"
                + " repository; then run --model DIR)";
    }
}
