package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The records that flow between operators survive Flink's serializers, as they must when the
 * decoder and the inference operator are not chained (different parallelism, keyBy).
 */
class RecordSerializationTest {

    private static <T> T roundTrip(Class<T> type, T value) throws Exception {
        TypeSerializer<T> serializer = TypeInformation.of(type).createSerializer(new SerializerConfigImpl());
        DataOutputSerializer out = new DataOutputSerializer(256);
        serializer.serialize(value, out);
        return serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    @Test
    void decodedFramesAreFlinkPojosAndKeepTheirPixels() throws Exception {
        assertThat(TypeInformation.of(DecodedFrame.class)).isInstanceOf(PojoTypeInfo.class);
        DecodedFrame frame = new DecodedFrame("cam-1", 7, 123, new float[] {0.5f, -1f, 2f});

        DecodedFrame copy = roundTrip(DecodedFrame.class, frame);

        assertThat(copy.stream()).isEqualTo("cam-1");
        assertThat(copy.seq()).isEqualTo(7);
        assertThat(copy.captureTs()).isEqualTo(123);
        assertThat(copy.pixels()).containsExactly(0.5f, -1f, 2f);
    }

    @Test
    void labelsSurviveSerialization() throws Exception {
        LabelRecord label = new LabelRecord(
                "cam-1",
                7,
                123,
                List.of(new LabelRecord.Label("car", 0.75), new LabelRecord.Label("bus", 0.25)),
                new LabelRecord.Level("tome", "tome:8", null),
                "vit@00",
                8,
                1.5,
                40);
        assertThat(roundTrip(LabelRecord.class, label)).isEqualTo(label);
    }

    @Test
    void deadLettersSurviveSerializationWithTheirBytes() throws Exception {
        FrameRecord original = new FrameRecord(
                "frames",
                3,
                99,
                1000,
                "cam-1".getBytes(StandardCharsets.UTF_8),
                new byte[] {1, 2, 3},
                List.of(
                        new FrameRecord.Header("frame-seq", "x".getBytes(StandardCharsets.UTF_8)),
                        new FrameRecord.Header("extra", null)));

        DeadLetter copy = roundTrip(DeadLetter.class, new DeadLetter(original, "frames-3@99: reason"));

        assertThat(copy.reason()).isEqualTo("frames-3@99: reason");
        assertThat(copy.original().position()).isEqualTo("frames-3@99");
        assertThat(copy.original().value()).containsExactly(1, 2, 3);
        assertThat(copy.original().keyString()).isEqualTo("cam-1");
        assertThat(copy.original().headers()).hasSize(2);
        assertThat(copy.original().header("frame-seq")).isEqualTo("x".getBytes(StandardCharsets.UTF_8));
        assertThat(copy.original().headers().get(1).value()).isNull();
    }
}
