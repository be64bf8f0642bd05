package org.tocomstream.stream;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which model the inference operator loads and on which device.
 *
 * <p>Device choice: {@code cpu}, {@code gpu}, {@code gpuN} or {@code gpu(N)} use that device;
 * {@value #AUTO} uses a GPU that Flink's external-resource framework assigned to the TaskManager
 * under {@code gpuResourceName} (subtask {@code i} takes the {@code i mod n}-th of the n GPUs
 * listed) and the CPU when there is none.
 *
 * <pre>{@code
 * ModelConfig model = ModelConfig.of("/models/vit_demo");          // auto device, resource "gpu"
 * ModelConfig onCpu = new ModelConfig("/models/vit_demo", "cpu", "gpu");
 * }</pre>
 *
 * @param modelDir a model directory ({@code model.json} + weights), readable on every TaskManager
 *     (setting {@value #MODEL_DIR})
 * @param device {@value #AUTO}, {@code cpu}, {@code gpu}, {@code gpuN} or {@code gpu(N)} (setting
 *     {@value #DEVICE})
 * @param gpuResourceName the external-resource name Flink lists GPUs under ({@code
 *     external-resources: gpu}), used by {@value #AUTO} (setting {@value #GPU_RESOURCE})
 */
public record ModelConfig(String modelDir, String device, String gpuResourceName)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Setting name of {@link #modelDir()}. */
    public static final String MODEL_DIR = "vit.model.dir";

    /** Setting name of {@link #device()}. */
    public static final String DEVICE = "vit.model.device";

    /** Setting name of {@link #gpuResourceName()}. */
    public static final String GPU_RESOURCE = "vit.model.gpu-resource";

    /** Device value: a Flink-assigned GPU if any, else the CPU. */
    public static final String AUTO = "auto";

    /** Flink's conventional external-resource name for GPUs. */
    public static final String DEFAULT_GPU_RESOURCE = "gpu";

    private static final Pattern DEVICE_NAME = Pattern.compile("auto|cpu|gpu|gpu\\d+|gpu\\(\\d+\\)");

    /** @throws IllegalArgumentException naming the setting */
    public ModelConfig {
        if (modelDir == null || modelDir.isBlank()) {
            throw new IllegalArgumentException(MODEL_DIR + " must name a model directory");
        }
        device = device == null ? "" : device.trim().toLowerCase(Locale.ROOT);
        if (!DEVICE_NAME.matcher(device).matches()) {
            throw new IllegalArgumentException(
                    String.format(
                            "%s must be auto, cpu, gpu, gpuN or gpu(N) but was '%s'",
                            DEVICE, device));
        }
        if (gpuResourceName == null || gpuResourceName.isBlank()) {
            throw new IllegalArgumentException(GPU_RESOURCE + " must be non-empty");
        }
    }

    /** {@code modelDir} on the {@value #AUTO} device with the {@value #DEFAULT_GPU_RESOURCE} resource. */
    public static ModelConfig of(String modelDir) {
        return new ModelConfig(modelDir, AUTO, DEFAULT_GPU_RESOURCE);
    }
}
