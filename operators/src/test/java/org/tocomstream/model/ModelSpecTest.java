package org.tocomstream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ModelSpec.PreprocessConfig;

class ModelSpecTest {

    private static final VitConfig TINY = VitConfig.preset("vit_test_tiny");

    @TempDir
    Path dir;

    static List<String> labels(int n) {
        return IntStream.range(0, n).mapToObj(i -> "class-" + i).collect(Collectors.toList());
    }

    /** A valid minimal model.json for vit_test_tiny with {@code extra} spliced into the top level. */
    static String minimal(String extra) {
        return "{\"formatVersion\": 1, \"architecture\": {\"preset\": \"vit_test_tiny\"}," + " \"labels\": "
                + labelsJson(10) + extra + "}";
    }

    static String labelsJson(int n) {
        return labels(n).stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(",", "[", "]"));
    }

    private Path writeJson(String json) throws IOException {
        Files.writeString(dir.resolve(ModelSpec.FILE_NAME), json);
        return dir.resolve(ModelSpec.FILE_NAME);
    }

    @Nested
    class RoundTrip {

        @Test
        void defaultSpecRoundTrips() throws IOException {
            ModelSpec spec = ModelSpec.of(TINY, labels(10));

            spec.write(dir);

            assertThat(ModelSpec.read(dir)).isEqualTo(spec);
        }

        @Test
        void everyFieldRoundTrips() throws IOException {
            VitConfig custom = new VitConfig("my_vit", 64, 8, 3, 4, 96, 6, 4, 2.5, false, true, 1e-12);
            ModelSpec spec = ModelSpec.of(custom, List.of("a", "b", "c", "a"))
                    .withPreprocessing(new PreprocessConfig(
                            64, new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.5f, 1f / 3}, "bilinear", 0.9))
                    .withTrainedCompression(CompressionLevel.parse("tome:8"))
                    .withWeightsFile("weights-v2.safetensors")
                    .withSource("fine-tuned \"quoted\" ünïcode");

            spec.write(dir.resolve("nested"));

            ModelSpec read = ModelSpec.read(dir.resolve("nested"));
            assertThat(read).isEqualTo(spec);
            assertThat(read.preprocessing().std()[2]).isEqualTo(1f / 3);
            assertThat(read.weightsPath(dir)).isEqualTo(dir.resolve("weights-v2.safetensors"));
        }

        @Test
        void presetWithOverridesIsWrittenAsTheDifferenceOnly() throws IOException {
            VitConfig cfg =
                    VitConfig.preset("deit_small_patch16_224").withNumClasses(3).withLayerNormEps(1e-12);
            ModelSpec spec = ModelSpec.of(cfg, List.of("cat", "dog", "bird"));

            spec.write(dir);

            String text = Files.readString(dir.resolve(ModelSpec.FILE_NAME));
            assertThat(text)
                    .contains("\"preset\": \"deit_small_patch16_224\"", "\"numClasses\": 3")
                    .contains("\"mean\": [\n      0.485,")
                    .doesNotContain("embedDim", "\"name\"");
            assertThat(ModelSpec.read(dir)).isEqualTo(spec);
        }

        @Test
        void writtenBytesAreDeterministic() throws IOException {
            ModelSpec.of(TINY, labels(10)).write(dir.resolve("a"));
            ModelSpec.of(TINY, labels(10)).write(dir.resolve("b"));

            assertThat(Files.readAllBytes(dir.resolve("a").resolve(ModelSpec.FILE_NAME)))
                    .isEqualTo(Files.readAllBytes(dir.resolve("b").resolve(ModelSpec.FILE_NAME)));
        }
    }

    @Nested
    class Defaults {

        @Test
        void minimalSpecGetsTimmDeitEvalPreprocessingAtTheImageSize() throws IOException {
            writeJson(minimal(""));

            ModelSpec spec = ModelSpec.read(dir);

            assertThat(spec.architecture()).isEqualTo(TINY);
            assertThat(spec.preprocessing()).isEqualTo(PreprocessConfig.deitEval(32));
            assertThat(spec.trainedCompression()).isEqualTo(CompressionLevel.none());
            assertThat(spec.weightsFile()).isEqualTo("model.safetensors");
            assertThat(spec.source()).isNull();
        }

        @Test
        void deitEvalIsTimmsDefault() {
            PreprocessConfig deit = PreprocessConfig.deitEval();

            assertThat(deit.inputSize()).isEqualTo(224);
            assertThat(deit.resizeSize()).isEqualTo(256);
            assertThat(deit.mean()).containsExactly(0.485f, 0.456f, 0.406f);
            assertThat(deit.std()).containsExactly(0.229f, 0.224f, 0.225f);
            assertThat(deit.interpolation()).isEqualTo("bicubic");
            assertThat(deit.cropFraction()).isEqualTo(0.875);
        }

        @Test
        void presetOverridesAndPartialPreprocessing() throws IOException {
            writeJson("{\"formatVersion\": 1,"
                    + " \"architecture\": {\"preset\": \"vit_test_tiny\", \"numClasses\": 2,"
                    + " \"layerNormEps\": 1e-12},"
                    + " \"labels\": [\"no\", \"yes\"],"
                    + " \"preprocessing\": {\"interpolation\": \"bilinear\"},"
                    + " \"trainedCompression\": \"evit:0.7\"}");

            ModelSpec spec = ModelSpec.read(dir);

            assertThat(spec.architecture()).isEqualTo(TINY.withNumClasses(2).withLayerNormEps(1e-12));
            assertThat(spec.preprocessing().interpolation()).isEqualTo("bilinear");
            assertThat(spec.preprocessing().inputSize()).isEqualTo(32);
            assertThat(spec.trainedCompression()).isEqualTo(CompressionLevel.evit(0.7));
        }

        @Test
        void preprocessConfigIsDefensivelyCopied() {
            float[] mean = {0.1f, 0.2f, 0.3f};
            PreprocessConfig cfg = new PreprocessConfig(8, mean, mean, "bicubic", 1.0);
            mean[0] = 9;
            cfg.mean()[1] = 9;

            assertThat(cfg.mean()).containsExactly(0.1f, 0.2f, 0.3f);
        }
    }

    static Stream<Arguments> invalidSpecs() {
        String arch = "\"architecture\": {\"preset\": \"vit_test_tiny\"}";
        String labels = "\"labels\": " + labelsJson(10);
        return Stream.of(
                Arguments.of("{\"formatVersion\": 1,", "not valid JSON"),
                Arguments.of("{\"formatVersion\": 1} trailing", "not valid JSON"),
                Arguments.of("{" + arch + ", " + labels + "}", "missing required field 'formatVersion'"),
                Arguments.of("{\"formatVersion\": 1, " + labels + "}", "missing required field 'architecture'"),
                Arguments.of("{\"formatVersion\": 1, " + arch + "}", "missing required field 'labels'"),
                Arguments.of(
                        minimal("").replace("\"formatVersion\": 1", "\"formatVersion\": 2"),
                        "formatVersion 2 is not supported"),
                Arguments.of(
                        minimal("").replace("\"formatVersion\": 1", "\"formatVersion\": \"1\""),
                        "formatVersion must be an integer but was \"1\""),
                Arguments.of(
                        "{\"formatVersion\": 1, " + arch + ", \"labels\": \"cat\"}",
                        "labels must be an array of strings"),
                Arguments.of(
                        "{\"formatVersion\": 1, " + arch + ", \"labels\": [\"a\", 2]}",
                        "labels[1] must be a string but was 2"),
                Arguments.of(
                        "{\"formatVersion\": 1, " + arch + ", \"labels\": " + labelsJson(3) + "}",
                        "labels has 3 entries but architecture.numClasses is 10"),
                Arguments.of(
                        minimal(", \"preprocessing\": {\"inputSize\": \"big\"}"),
                        "preprocessing.inputSize must be an integer but was \"big\""),
                Arguments.of(
                        minimal(", \"preprocessing\": {\"inputSize\": 32.5}"),
                        "preprocessing.inputSize must be an integer but was 32.5"),
                Arguments.of(
                        minimal(", \"preprocessing\": {\"mean\": [0.5], \"std\": [0.5]}"),
                        "preprocessing.mean and preprocessing.std have 1 values but architecture.inChannels is 3"),
                Arguments.of(
                        minimal(", \"preprocessing\": {\"std\": [0.5, 0.5]}"),
                        "preprocessing.mean and preprocessing.std must be non-empty and of equal length"),
                Arguments.of(
                        minimal(", \"preprocessing\": {\"std\": [0.5, 0, 0.5]}"),
                        "preprocessing.std must be finite and > 0"),
                Arguments.of(
                        minimal(", \"preprocessing\": {\"interpolation\": \"nearest\"}"),
                        "preprocessing.interpolation must be 'bicubic' or 'bilinear' but was 'nearest'"),
                Arguments.of(
                        minimal(", \"preprocessing\": {\"cropFraction\": 1.5}"),
                        "preprocessing.cropFraction must be in (0, 1]"),
                Arguments.of(
                        minimal(", \"preprocessing\": {\"inputSize\": 64}"),
                        "preprocessing.inputSize 64 differs from architecture.imageSize 32"),
                Arguments.of(minimal(", \"preprocessing\": {\"crop\": 0.9}"), "unknown field 'preprocessing.crop'"),
                Arguments.of(minimal(", \"weights\": \"x.safetensors\""), "unknown field 'weights'"),
                Arguments.of(
                        minimal(", \"weightsFile\": \"../x.safetensors\""), "weightsFile must be a plain file name"),
                Arguments.of(
                        minimal(", \"trainedCompression\": \"tome:x\""),
                        "trainedCompression: invalid compression level 'tome:x'"),
                Arguments.of(minimal(", \"source\": 3"), "source must be a string but was 3"),
                Arguments.of(minimal(", \"source\": \"a\", \"source\": \"b\""), "duplicate key 'source'"),
                Arguments.of(
                        minimal("").replace("vit_test_tiny", "vit_huge"),
                        "architecture.preset: unknown preset 'vit_huge'"),
                Arguments.of(
                        minimal("")
                                .replace(
                                        "\"preset\": \"vit_test_tiny\"",
                                        "\"preset\": \"vit_test_tiny\", \"depth\": \"twelve\""),
                        "architecture.depth must be an integer but was \"twelve\""),
                Arguments.of(
                        minimal("")
                                .replace(
                                        "\"preset\": \"vit_test_tiny\"",
                                        "\"preset\": \"vit_test_tiny\", \"qkvBias\": 1"),
                        "architecture.qkvBias must be true or false but was 1"),
                Arguments.of(
                        minimal("")
                                .replace(
                                        "\"preset\": \"vit_test_tiny\"",
                                        "\"preset\": \"vit_test_tiny\", \"numHeads\": 5"),
                        "architecture: numHeads 5 must divide embedDim 48"),
                Arguments.of(
                        minimal("").replace("\"preset\": \"vit_test_tiny\"", "\"name\": \"x\", \"imageSize\": 32"),
                        "missing required field 'architecture.patchSize'"),
                Arguments.of(
                        minimal("").replace("\"preset\"", "\"presetName\""),
                        "unknown field 'architecture.presetName'"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("invalidSpecs")
    void invalidSpecIsRejectedNamingFileAndField(String json, String message) throws IOException {
        Path file = writeJson(json);

        assertThatThrownBy(() -> ModelSpec.read(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith(file + ": ")
                .hasMessageContaining(message);
    }

    @Test
    void missingFileIsNamed() {
        assertThatThrownBy(() -> ModelSpec.read(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(dir.resolve("model.json") + ": not found");
    }

    @Test
    void constructorChecksLabelsAgainstClasses() {
        assertThatThrownBy(() -> ModelSpec.of(TINY, Collections.nCopies(9, "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("labels has 9 entries but architecture.numClasses is 10");
    }
}
