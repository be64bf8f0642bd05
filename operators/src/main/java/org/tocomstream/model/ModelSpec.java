package org.tocomstream.model;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.tocomstream.compress.CompressionLevel;

/**
 * Everything a model directory says about its model besides the weights: architecture, class
 * labels, preprocessing, the compression it was trained at and the weights file name. A model
 * directory holds {@value #FILE_NAME} plus the weights file (safetensors, read by {@link
 * VitCheckpoint}); preprocessing travels with the weights, as timm's pretrained {@code _cfg} does,
 * so operator code holds no normalisation constants.
 *
 * <h2>{@code model.json}</h2>
 *
 * <pre>{@code
 * {
 *   "formatVersion": 1,
 *   "architecture": {"preset": "deit_small_patch16_224", "numClasses": 3},
 *   "labels": ["cat", "dog", "bird"],
 *   "preprocessing": {
 *     "inputSize": 224,
 *     "mean": [0.485, 0.456, 0.406],
 *     "std": [0.229, 0.224, 0.225],
 *     "interpolation": "bicubic",
 *     "cropFraction": 0.875
 *   },
 *   "trainedCompression": "tome:8",
 *   "weightsFile": "model.safetensors",
 *   "source": "timm deit_small_patch16_224.fb_in1k, fine-tuned on pets-3"
 * }
 * }</pre>
 *
 * <ul>
 *   <li>{@code formatVersion} (required): {@value #FORMAT_VERSION}.
 *   <li>{@code architecture} (required): either {@code "preset"} naming a {@link
 *       VitConfig#preset} plus any {@link VitConfig} fields to override (typically {@code
 *       numClasses}, {@code layerNormEps} — 1e-12 for weights converted from Hugging Face), or all
 *       twelve {@link VitConfig} fields spelled out ({@code name}, {@code imageSize}, {@code
 *       patchSize}, {@code inChannels}, {@code numClasses}, {@code embedDim}, {@code depth},
 *       {@code numHeads}, {@code mlpRatio}, {@code qkvBias}, {@code distilled}, {@code
 *       layerNormEps}), plus {@code attendedFraction}, optional with default 1 (a plain ViT; below
 *       1 a channel-shuffle model, {@code src/docs/student.md}), written only when it differs from
 *       1 or from the preset's.
 *   <li>{@code labels} (required): one string per class, in logit order; as many as {@code
 *       numClasses}.
 *   <li>{@code preprocessing} (optional, and each field in it): timm's DeiT evaluation transform —
 *       {@code inputSize} = the architecture's {@code imageSize}, ImageNet mean and std, {@code
 *       bicubic}, {@code cropFraction} 0.875. See {@link PreprocessConfig}.
 *   <li>{@code trainedCompression} (optional, default {@code "none"}): the {@link
 *       CompressionLevel} text of the compression the weights were trained or fine-tuned at.
 *   <li>{@code weightsFile} (optional, default {@value #DEFAULT_WEIGHTS_FILE}): a file name inside
 *       the directory, no path separators.
 *   <li>{@code source} (optional): free text about provenance.
 * </ul>
 *
 * <p>Unknown fields are rejected, so a misspelt optional field cannot silently fall back to its
 * default. Every error is a {@link CheckpointException} naming the file and the field.
 *
 * <pre>{@code
 * ModelSpec spec = ModelSpec.read(modelDir);
 * Map<String, HostTensor> weights =
 *         VitCheckpoint.load(spec.weightsPath(modelDir), spec.architecture());
 * ImagePreprocessor pre = new ImagePreprocessor(spec.preprocessing());
 * }</pre>
 *
 * @param formatVersion version of the {@code model.json} layout; {@value #FORMAT_VERSION}
 * @param architecture the network shape
 * @param labels class names in logit order, {@code architecture.numClasses()} of them
 * @param preprocessing how to turn an image into the network input
 * @param trainedCompression compression the weights were trained at ({@code none()} for plain)
 * @param weightsFile weights file name inside the model directory
 * @param source free-form provenance, or {@code null}
 */
public record ModelSpec(
        int formatVersion,
        VitConfig architecture,
        List<String> labels,
        PreprocessConfig preprocessing,
        CompressionLevel trainedCompression,
        String weightsFile,
        String source) {

    /** Name of the spec file inside a model directory. */
    public static final String FILE_NAME = "model.json";

    /** The {@code model.json} layout version this code reads and writes. */
    public static final int FORMAT_VERSION = 1;

    /** Weights file name used when {@code model.json} names none. */
    public static final String DEFAULT_WEIGHTS_FILE = "model.safetensors";

    /** @throws IllegalArgumentException naming the offending field */
    public ModelSpec {
        if (formatVersion != FORMAT_VERSION) {
            throw new IllegalArgumentException(String.format(
                    "formatVersion %d is not supported; this version reads %d", formatVersion, FORMAT_VERSION));
        }
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(preprocessing, "preprocessing");
        Objects.requireNonNull(trainedCompression, "trainedCompression");
        if (labels == null || labels.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("labels must be a list of non-null strings");
        }
        labels = List.copyOf(labels);
        if (labels.size() != architecture.numClasses()) {
            throw new IllegalArgumentException(String.format(
                    "labels has %d entries but architecture.numClasses is %d",
                    labels.size(), architecture.numClasses()));
        }
        if (preprocessing.channels() != architecture.inChannels()) {
            throw new IllegalArgumentException(String.format(
                    "preprocessing.mean and preprocessing.std have %d values but" + " architecture.inChannels is %d",
                    preprocessing.channels(), architecture.inChannels()));
        }
        if (preprocessing.inputSize() != architecture.imageSize()) {
            throw new IllegalArgumentException(String.format(
                    "preprocessing.inputSize %d differs from architecture.imageSize %d"
                            + " (the position embedding fixes the input size)",
                    preprocessing.inputSize(), architecture.imageSize()));
        }
        if (weightsFile == null
                || weightsFile.isBlank()
                || weightsFile.contains("/")
                || weightsFile.contains("\\")
                || weightsFile.equals(".")
                || weightsFile.equals("..")) {
            throw new IllegalArgumentException(
                    "weightsFile must be a plain file name inside the model directory but was '" + weightsFile + "'");
        }
    }

    /**
     * A spec with default preprocessing ({@link PreprocessConfig#deitEval(int)} at the
     * architecture's image size), no trained compression, {@value #DEFAULT_WEIGHTS_FILE} and no
     * source.
     */
    public static ModelSpec of(VitConfig architecture, List<String> labels) {
        return new ModelSpec(
                FORMAT_VERSION,
                architecture,
                labels,
                PreprocessConfig.deitEval(architecture.imageSize()),
                CompressionLevel.none(),
                DEFAULT_WEIGHTS_FILE,
                null);
    }

    /** A copy with other preprocessing. */
    public ModelSpec withPreprocessing(PreprocessConfig config) {
        return new ModelSpec(formatVersion, architecture, labels, config, trainedCompression, weightsFile, source);
    }

    /** A copy with another trained compression. */
    public ModelSpec withTrainedCompression(CompressionLevel level) {
        return new ModelSpec(formatVersion, architecture, labels, preprocessing, level, weightsFile, source);
    }

    /** A copy with another weights file name. */
    public ModelSpec withWeightsFile(String file) {
        return new ModelSpec(formatVersion, architecture, labels, preprocessing, trainedCompression, file, source);
    }

    /** A copy with another provenance text ({@code null} for none). */
    public ModelSpec withSource(String text) {
        return new ModelSpec(formatVersion, architecture, labels, preprocessing, trainedCompression, weightsFile, text);
    }

    /**
     * Why the model of {@code student} cannot stand in for this one as its student (the {@code
     * student} compression level), or empty when it can: it must answer with these labels in this
     * order and read the frames as this model does, since one preprocessed batch feeds both.
     */
    public Optional<String> studentMisfit(ModelSpec student) {
        if (!labels.equals(student.labels())) {
            return Optional.of(String.format("its labels %s differ from the model's %s", student.labels(), labels));
        }
        if (!preprocessing.equals(student.preprocessing())) {
            return Optional.of(String.format(
                    "its preprocessing %s differs from the model's %s (one preprocessed batch feeds both)",
                    student.preprocessing(), preprocessing));
        }
        return Optional.empty();
    }

    /** The weights file of the model directory {@code dir}. */
    public Path weightsPath(Path dir) {
        return dir.resolve(weightsFile);
    }

    /**
     * Reads {@code dir/model.json}.
     *
     * @throws CheckpointException if it is malformed, naming the file and the field
     * @throws IOException if it cannot be read
     */
    public static ModelSpec read(Path dir) throws IOException {
        return ModelSpecJson.read(dir.resolve(FILE_NAME));
    }

    /**
     * Writes {@code dir/model.json} (creating {@code dir} if needed), replacing any existing one.
     * The weights are not written; see {@link Safetensors#write}.
     */
    public void write(Path dir) throws IOException {
        ModelSpecJson.write(this, dir.resolve(FILE_NAME));
    }

    /**
     * The image-to-tensor transform, as timm's evaluation transform: resize the shorter side to
     * {@link #resizeSize()} = {@code floor(inputSize / cropFraction)} keeping the aspect ratio,
     * centre-crop {@code inputSize} × {@code inputSize}, scale to [0, 1], then {@code (x - mean) /
     * std} per channel. See {@link ImagePreprocessor}. Serializable (deserialisation runs the
     * validating constructor), so Flink functions may hold it.
     *
     * <pre>{@code
     * PreprocessConfig deit = PreprocessConfig.deitEval(); // 224, ImageNet mean/std, bicubic, 0.875
     * deit.resizeSize(); // 256
     * }</pre>
     *
     * @param inputSize side of the square network input in pixels
     * @param mean per-channel mean subtracted after scaling to [0, 1]
     * @param std per-channel divisor, all > 0
     * @param interpolation {@value #BICUBIC} or {@value #BILINEAR} (PIL's antialiased filters)
     * @param cropFraction centre-crop fraction in (0, 1]
     */
    public record PreprocessConfig(int inputSize, float[] mean, float[] std, String interpolation, double cropFraction)
            implements Serializable {

        private static final long serialVersionUID = 1L;

        /** PIL's bicubic filter (Keys, a = -0.5), timm's default for DeiT. */
        public static final String BICUBIC = "bicubic";

        /** PIL's bilinear (triangle) filter. */
        public static final String BILINEAR = "bilinear";

        /** timm's {@code DEFAULT_CROP_PCT}. */
        public static final double DEFAULT_CROP_FRACTION = 0.875;

        private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
        private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

        /** @throws IllegalArgumentException naming the offending field */
        public PreprocessConfig {
            if (inputSize <= 0) {
                throw new IllegalArgumentException("preprocessing.inputSize must be > 0 but was " + inputSize);
            }
            if (mean == null || std == null || mean.length == 0 || mean.length != std.length) {
                throw new IllegalArgumentException(String.format(
                        "preprocessing.mean and preprocessing.std must be non-empty and"
                                + " of equal length but were %s and %s",
                        Arrays.toString(mean), Arrays.toString(std)));
            }
            mean = mean.clone();
            std = std.clone();
            for (int c = 0; c < mean.length; c++) {
                if (!Float.isFinite(mean[c])) {
                    throw new IllegalArgumentException(
                            "preprocessing.mean must be finite but was " + Arrays.toString(mean));
                }
                if (!(std[c] > 0) || !Float.isFinite(std[c])) {
                    throw new IllegalArgumentException(
                            "preprocessing.std must be finite and > 0 but was " + Arrays.toString(std));
                }
            }
            if (!BICUBIC.equals(interpolation) && !BILINEAR.equals(interpolation)) {
                throw new IllegalArgumentException(String.format(
                        "preprocessing.interpolation must be '%s' or '%s' but was '%s'",
                        BICUBIC, BILINEAR, interpolation));
            }
            if (!(cropFraction > 0 && cropFraction <= 1)) {
                throw new IllegalArgumentException(
                        "preprocessing.cropFraction must be in (0, 1] but was " + cropFraction);
            }
        }

        /** timm's DeiT evaluation transform at 224 pixels. */
        public static PreprocessConfig deitEval() {
            return deitEval(224);
        }

        /** timm's DeiT evaluation transform (ImageNet mean/std, bicubic, 0.875) at any size. */
        public static PreprocessConfig deitEval(int inputSize) {
            return new PreprocessConfig(inputSize, IMAGENET_MEAN, IMAGENET_STD, BICUBIC, DEFAULT_CROP_FRACTION);
        }

        /** A copy of the per-channel means. */
        @Override
        public float[] mean() {
            return mean.clone();
        }

        /** A copy of the per-channel standard deviations. */
        @Override
        public float[] std() {
            return std.clone();
        }

        /** Number of channels C. */
        public int channels() {
            return mean.length;
        }

        /** Shorter side after resizing, before the crop: {@code floor(inputSize / cropFraction)}. */
        public int resizeSize() {
            return (int) Math.floor(inputSize / cropFraction);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PreprocessConfig p
                    && inputSize == p.inputSize
                    && Arrays.equals(mean, p.mean)
                    && Arrays.equals(std, p.std)
                    && interpolation.equals(p.interpolation)
                    && Double.compare(cropFraction, p.cropFraction) == 0;
        }

        @Override
        public int hashCode() {
            return Objects.hash(inputSize, Arrays.hashCode(mean), Arrays.hashCode(std), interpolation, cropFraction);
        }

        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT,
                    "PreprocessConfig[inputSize=%d, mean=%s, std=%s, interpolation=%s," + " cropFraction=%s]",
                    inputSize,
                    Arrays.toString(mean),
                    Arrays.toString(std),
                    interpolation,
                    cropFraction);
        }
    }
}
