package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.tocomstream.job.kafka.DeadLetterSerializationSchema;
import org.tocomstream.job.kafka.LabelSerializationSchema;

class StreamJobOptionsTest {

    @Nested
    class ValueCap {

        @Test
        void theDefaultCapFitsWhatTheSinksAcceptOnKafkasDefaults() {
            long cap = StreamJobOptions.MAX_FRAME_BYTES.defaultValue().getBytes();

            assertThat(cap + DeadLetterSerializationSchema.KEY_AND_HEADERS_MARGIN)
                    .isLessThanOrEqualTo(DeadLetterSerializationSchema.DEFAULT_MAX_REQUEST_SIZE);
            assertThat(StreamJobOptions.validate(new Configuration())).isEmpty();
        }

        @Test
        void aCapTheDeadLetterSinkCannotWriteIsRefusedNamingBothSettings() {
            Configuration conf = new Configuration();
            conf.set(StreamJobOptions.MAX_FRAME_BYTES, MemorySize.parse("2mb"));

            assertThat(StreamJobOptions.validate(conf))
                    .singleElement()
                    .asString()
                    .startsWith("vit.decode.max-value-bytes (2097152 bytes) must be at most 983040 bytes:")
                    .contains("max.request.size (1048576 bytes)", "kafka.properties");
        }

        @Test
        void aLargerCapIsAcceptedWhenKafkaPropertiesRaiseMaxRequestSize() {
            Configuration conf = new Configuration();
            conf.set(StreamJobOptions.MAX_FRAME_BYTES, MemorySize.parse("2mb"));
            conf.set(StreamJobOptions.KAFKA_PROPERTIES, Map.of("max.request.size", "4194304"));

            assertThat(StreamJobOptions.validate(conf)).isEmpty();
        }

        @Test
        void aMaxRequestSizeThatIsNotANumberIsNamed() {
            Configuration conf = new Configuration();
            conf.set(StreamJobOptions.KAFKA_PROPERTIES, Map.of("max.request.size", "big"));

            assertThat(StreamJobOptions.validate(conf))
                    .singleElement()
                    .asString()
                    .isEqualTo("kafka.properties: max.request.size must be a positive integer (bytes) but was 'big'");
        }
    }

    @Nested
    class KeyCap {

        @Test
        void theDefaultStreamIdCapIs256BytesAndItsLabelsFitWhatTheSinksAccept() {
            long cap = StreamJobOptions.MAX_KEY_BYTES.defaultValue().getBytes();

            assertThat(cap).isEqualTo(256);
            assertThat(LabelSerializationSchema.largestLabel(cap))
                    .isLessThanOrEqualTo(DeadLetterSerializationSchema.DEFAULT_MAX_REQUEST_SIZE);
        }

        @Test
        void aCapAboveHalfTheDeadLettersRoomForKeyAndHeadersIsRefused() {
            Configuration conf = new Configuration();
            conf.set(StreamJobOptions.MAX_KEY_BYTES, MemorySize.parse("32769b"));

            assertThat(StreamJobOptions.validate(conf))
                    .singleElement()
                    .asString()
                    .startsWith("vit.decode.max-key-bytes: must be > 0 and at most 32768 bytes");
        }

        @Test
        void aCapWhoseLabelsTheSinksCannotWriteIsRefusedNamingBothSettings() {
            Configuration conf = new Configuration();
            conf.set(StreamJobOptions.MAX_FRAME_BYTES, MemorySize.parse("30kb"));
            conf.set(StreamJobOptions.MAX_KEY_BYTES, MemorySize.parse("8kb"));
            conf.set(StreamJobOptions.KAFKA_PROPERTIES, Map.of("max.request.size", "100000"));

            assertThat(StreamJobOptions.validate(conf))
                    .singleElement()
                    .asString()
                    .startsWith("vit.decode.max-key-bytes (8192 bytes): a label may take 122880 bytes")
                    .contains("max.request.size (100000 bytes)", "kafka.properties");
        }

        @Test
        void theSameCapIsAcceptedWithALargerMaxRequestSize() {
            Configuration conf = new Configuration();
            conf.set(StreamJobOptions.MAX_FRAME_BYTES, MemorySize.parse("30kb"));
            conf.set(StreamJobOptions.MAX_KEY_BYTES, MemorySize.parse("8kb"));
            conf.set(StreamJobOptions.KAFKA_PROPERTIES, Map.of("max.request.size", "200000"));

            assertThat(StreamJobOptions.validate(conf)).isEmpty();
        }
    }
}
