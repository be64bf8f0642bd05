package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.stream.testutils.TestingPredictor;

/** Every configuration record refuses bad values with a message naming the setting. */
class ConfigTest {

    @Nested
    class Batching {

        @Test
        void acceptsSensibleValues() {
            BatchingConfig c = new BatchingConfig(16, Duration.ofMillis(50), 2);
            assertThat(c.maxDelayMs()).isEqualTo(50);
        }

        @Test
        void namesTheSettingOfABadValue() {
            assertThatThrownBy(() -> new BatchingConfig(0, Duration.ofMillis(50), 2))
                    .hasMessage("vit.batch.max-size must be in [1, 4096] but was 0");
            assertThatThrownBy(() -> new BatchingConfig(5000, Duration.ofMillis(50), 2))
                    .hasMessageContaining("vit.batch.max-size");
            assertThatThrownBy(() -> new BatchingConfig(8, Duration.ofNanos(500_000), 2))
                    .hasMessageStartingWith("vit.batch.max-delay must be at least 1 ms");
            assertThatThrownBy(() -> new BatchingConfig(8, Duration.ofMillis(-1), 2))
                    .hasMessageContaining("vit.batch.max-delay");
            assertThatThrownBy(() -> new BatchingConfig(8, null, 2)).hasMessageContaining("vit.batch.max-delay");
            assertThatThrownBy(() -> new BatchingConfig(8, Duration.ofMillis(5), 0))
                    .hasMessage("vit.batch.max-in-flight must be in [1, 64] but was 0");
        }
    }

    @Nested
    class Decode {

        @Test
        void namesTheSettingOfABadValue() {
            assertThatThrownBy(() -> new DecodeConfig(0, 10))
                    .hasMessage("vit.decode.max-value-bytes must be >= 1 but was 0");
            assertThatThrownBy(() -> new DecodeConfig(10, -5))
                    .hasMessage("vit.decode.max-pixels must be >= 1 but was -5");
            assertThat(DecodeConfig.defaults().maxValueBytes()).isEqualTo(960 << 10);
        }

        @Test
        void namesTheSettingOfABadDecodeBudget() {
            assertThatThrownBy(() -> new DecodeConfig(10, 10, 0))
                    .hasMessage("vit.decode.max-decoded-bytes must be >= 1 but was 0");
            assertThat(DecodeConfig.defaults().maxDecodedBytes()).isEqualTo(64L << 20);
            assertThat(new DecodeConfig(10, 10).maxDecodedBytes()).isEqualTo(64L << 20);
        }

        @Test
        void namesTheSettingOfABadStreamIdCap() {
            assertThatThrownBy(() -> new DecodeConfig(10, 10, 10, 0))
                    .hasMessage("vit.decode.max-key-bytes must be >= 1 but was 0");
            assertThat(DecodeConfig.defaults().maxKeyBytes()).isEqualTo(256);
            assertThat(new DecodeConfig(10, 10, 10).maxKeyBytes()).isEqualTo(256);
        }
    }

    @Nested
    class Model {

        @Test
        void normalisesAndChecksTheDevice() {
            assertThat(new ModelConfig("/m", " GPU1 ", "gpu").device()).isEqualTo("gpu1");
            assertThat(ModelConfig.of("/m").device()).isEqualTo("auto");
            assertThat(ModelConfig.of("/m").gpuResourceName()).isEqualTo("gpu");
            assertThatThrownBy(() -> new ModelConfig("/m", "tpu", "gpu"))
                    .hasMessage("vit.model.device must be auto, cpu, gpu, gpuN or gpu(N) but was 'tpu'");
        }

        @Test
        void needsADirectoryAndAResourceName() {
            assertThatThrownBy(() -> ModelConfig.of(" ")).hasMessage("vit.model.dir must name a model directory");
            assertThatThrownBy(() -> new ModelConfig("/m", "cpu", ""))
                    .hasMessage("vit.model.gpu-resource must be non-empty");
        }
    }

    @Nested
    class Operator {

        @Test
        void topKMustBePositive() {
            BatchingConfig b = new BatchingConfig(1, Duration.ofMillis(1), 1);
            PredictorFactory p = TestingPredictor.simple().factory();
            LevelSource l = LevelSource.fixed(CompressionLevel.none());
            assertThatThrownBy(() -> new BatchInferenceOperatorFactory(b, 0, p, l))
                    .hasMessage("vit.labels.top-k must be >= 1 but was 0");
        }

        @Test
        void aFixedLevelNeedsALevel() {
            assertThatThrownBy(() -> LevelSource.fixed(null)).hasMessageContaining("vit.compress.level");
        }
    }
}
