package org.tocomstream.stream;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.tocomstream.compensate.TokenCompensator;

/**
 * Which model the inference operator loads and on which device.
 *
 * <p>Device choice: {@code cpu}, {@code gpu}, {@code gpuN} or {@code gpu(N)} use that device;
 * {@value #AUTO} uses a GPU that Flink's external-resource framework assigned to the TaskManager
 * under {@code gpuResourceName} (each subtask takes the GPU fewest of this TaskManager's subtasks
 * use, and gives it back when it closes) and the CPU when there is none.
 *
 * <p>Token Compensator: {@value #COMPENSATOR_AUTO} applies the model directory's own plugin
 * ({@code tocom.safetensors} next to {@code model.json}) when there is one, {@value
 * #COMPENSATOR_NONE} never applies one, and any other value is the path of a plugin file. It is
 * applied at its sidecar's default scale unless {@code compensatorScale} is given.
 *
 * <pre>{@code
 * ModelConfig model = ModelConfig.of("/models/vit_demo");          // auto device, resource "gpu"
 * ModelConfig onCpu = new ModelConfig("/models/vit_demo", "cpu", "gpu");
 * ModelConfig plugin = new ModelConfig("/models/vit_demo", "cpu", "gpu", "/plugins/tocom.safetensors", 0.05);
 * }</pre>
 *
 * @param modelDir a model directory ({@code model.json} + weights), readable on every TaskManager
 *     (setting {@value #MODEL_DIR})
 * @param device {@value #AUTO}, {@code cpu}, {@code gpu}, {@code gpuN} or {@code gpu(N)} (setting
 *     {@value #DEVICE})
 * @param gpuResourceName the external-resource name Flink lists GPUs under ({@code
 *     external-resources: gpu}), used by {@value #AUTO} (setting {@value #GPU_RESOURCE})
 * @param compensator {@value #COMPENSATOR_AUTO}, {@value #COMPENSATOR_NONE} or a plugin file
 *     (setting {@value #COMPENSATOR})
 * @param compensatorScale the scale s the plugin is applied at, finite and ≥ 0; null for the
 *     plugin's default (setting {@value #COMPENSATOR_SCALE})
 * @param studentDir a second model directory with the same labels and preprocessing, loaded beside
 *     the model on the same device and run for batches at the {@code student} level; null for none
 *     (setting {@value #STUDENT_DIR}; {@code src/docs/student.md})
 */
public record ModelConfig(
        String modelDir,
        String device,
        String gpuResourceName,
        String compensator,
        Double compensatorScale,
        String studentDir)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Setting name of {@link #modelDir()}. */
    public static final String MODEL_DIR = "vit.model.dir";

    /** Setting name of {@link #device()}. */
    public static final String DEVICE = "vit.model.device";

    /** Setting name of {@link #gpuResourceName()}. */
    public static final String GPU_RESOURCE = "vit.model.gpu-resource";

    /** Setting name of {@link #compensator()}. */
    public static final String COMPENSATOR = "vit.model.compensator";

    /** Setting name of {@link #studentDir()}. */
    public static final String STUDENT_DIR = "vit.model.student";

    /** Setting name of {@link #compensatorScale()}. */
    public static final String COMPENSATOR_SCALE = "vit.model.compensator-scale";

    /** Compensator value: the model directory's {@code tocom.safetensors} if present, else none. */
    public static final String COMPENSATOR_AUTO = "auto";

    /** Compensator value: never apply one. */
    public static final String COMPENSATOR_NONE = "none";

    /** Device value: a Flink-assigned GPU if any, else the CPU. */
    public static final String AUTO = "auto";

    /** Flink's conventional external-resource name for GPUs. */
    public static final String DEFAULT_GPU_RESOURCE = "gpu";

    private static final Pattern DEVICE_NAME = Pattern.compile("auto|cpu|gpu|gpu\\d+|gpu\\(\\d+\\)");

    /** Whether {@code device} (trimmed, any case) is a value {@link #DEVICE} accepts. */
    public static boolean isDeviceName(String device) {
        return device != null
                && DEVICE_NAME.matcher(device.trim().toLowerCase(Locale.ROOT)).matches();
    }

    /** @throws IllegalArgumentException naming the setting */
    public ModelConfig {
        if (modelDir == null || modelDir.isBlank()) {
            throw new IllegalArgumentException(MODEL_DIR + " must name a model directory");
        }
        device = device == null ? "" : device.trim().toLowerCase(Locale.ROOT);
        if (!isDeviceName(device)) {
            throw new IllegalArgumentException(
                    String.format("%s must be auto, cpu, gpu, gpuN or gpu(N) but was '%s'", DEVICE, device));
        }
        if (gpuResourceName == null || gpuResourceName.isBlank()) {
            throw new IllegalArgumentException(GPU_RESOURCE + " must be non-empty");
        }
        compensator = compensator == null ? "" : compensator.trim();
        if (compensator.isEmpty()) {
            throw new IllegalArgumentException(COMPENSATOR + " must be auto, none or a plugin file but was empty");
        }
        if (compensator.equalsIgnoreCase(COMPENSATOR_AUTO) || compensator.equalsIgnoreCase(COMPENSATOR_NONE)) {
            compensator = compensator.toLowerCase(Locale.ROOT);
        }
        if (compensatorScale != null && (!Double.isFinite(compensatorScale) || compensatorScale < 0)) {
            throw new IllegalArgumentException(String.format(
                    Locale.ROOT, "%s must be finite and >= 0 but was %s", COMPENSATOR_SCALE, compensatorScale));
        }
        if (studentDir != null && studentDir.isBlank()) {
            throw new IllegalArgumentException(STUDENT_DIR + " must name a model directory or be absent but was empty");
        }
    }

    /** A model without a student. */
    public ModelConfig(
            String modelDir, String device, String gpuResourceName, String compensator, Double compensatorScale) {
        this(modelDir, device, gpuResourceName, compensator, compensatorScale, null);
    }

    /** A copy whose subtasks also load the student in {@code dir} ({@link #studentDir()}); null for none. */
    public ModelConfig withStudent(String dir) {
        return new ModelConfig(modelDir, device, gpuResourceName, compensator, compensatorScale, dir);
    }

    /**
     * A model on {@code device} that applies its directory's own compensator if it has one
     * ({@value #COMPENSATOR_AUTO}) at the plugin's default scale.
     */
    public ModelConfig(String modelDir, String device, String gpuResourceName) {
        this(modelDir, device, gpuResourceName, COMPENSATOR_AUTO, null);
    }

    /**
     * The plugin file to apply: the model directory's {@code tocom.safetensors} for {@value
     * #COMPENSATOR_AUTO} when it exists, the named file otherwise, nothing for {@value
     * #COMPENSATOR_NONE}. Read where the model is loaded (the TaskManager).
     *
     * @throws NoSuchFileException naming the setting when a named plugin file does not exist
     */
    public Optional<Path> compensatorFile() throws IOException {
        switch (compensator) {
            case COMPENSATOR_NONE:
                return Optional.empty();
            case COMPENSATOR_AUTO:
                return TokenCompensator.inModelDir(Path.of(modelDir));
            default:
                Path file = Path.of(compensator);
                if (!Files.isRegularFile(file)) {
                    throw new NoSuchFileException(file.toString(), null, COMPENSATOR + ": no such plugin file");
                }
                return Optional.of(file);
        }
    }

    /** {@code modelDir} on the {@value #AUTO} device with the {@value #DEFAULT_GPU_RESOURCE} resource. */
    public static ModelConfig of(String modelDir) {
        return new ModelConfig(modelDir, AUTO, DEFAULT_GPU_RESOURCE);
    }
}
