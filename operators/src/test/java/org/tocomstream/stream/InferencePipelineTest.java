package org.tocomstream.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitModel;
import org.tocomstream.stream.FrameRecord.Header;
import org.tocomstream.stream.testutils.Images;
import org.tocomstream.stream.testutils.TinyModels;

/**
 * Decode and batching inference with a real (tiny) model directory, in harnesses: encoded frames
 * in, labels out, every field checked against the model run directly.
 */
class InferencePipelineTest {

    private static FrameRecord frame(String stream, long seq, byte[] image) {
        return new FrameRecord(
                "frames",
                0,
                seq,
                1_700_000_000_000L + seq,
                stream.getBytes(StandardCharsets.UTF_8),
                image,
                List.of(new Header(WireFormat.FRAME_SEQ, Long.toString(seq).getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    @SuppressWarnings("try") // the harnesses' close() may throw InterruptedException
    void framesBecomeLabelsOfTheSharedModel(@TempDir Path dir) throws Exception {
        TinyModels.write(dir, 3);
        ModelSpec spec = ModelSpec.read(dir);
        List<FrameRecord> records = List.of(
                frame("cam-1", 0, Images.encoded("png", 40, 30)),
                frame("cam-2", 0, Images.encoded("jpeg", 64, 48)),
                frame("cam-1", 1, new byte[] {1, 2, 3}),
                frame("cam-1", 2, Images.encoded("png", 33, 57)));

        List<DecodedFrame> decoded;
        try (OneInputStreamOperatorTestHarness<FrameRecord, DecodedFrame> decode =
                ProcessFunctionTestHarnesses.forProcessFunction(
                        new FrameDecodeFunction(spec.preprocessing(), DecodeConfig.defaults()))) {
            decode.setProcessingTime(1_700_000_000_100L); // read just after capture
            for (FrameRecord r : records) {
                decode.processElement(new StreamRecord<>(r, r.timestamp()));
            }
            decoded = decode.extractOutputValues();
            assertThat(decode.getSideOutput(FrameDecodeFunction.DEAD_LETTERS)).hasSize(1);
        }
        assertThat(decoded)
                .extracting(f -> f.stream() + "#" + f.seq())
                .containsExactly("cam-1#0", "cam-2#0", "cam-1#2");

        CompressionLevel level = CompressionLevel.tome(2);
        List<LabelRecord> labels;
        try (OneInputStreamOperatorTestHarness<DecodedFrame, LabelRecord> inference =
                new OneInputStreamOperatorTestHarness<>(new BatchInferenceOperatorFactory(
                        new BatchingConfig(2, Duration.ofMillis(50), 2),
                        3,
                        PredictorFactory.sharedModel(new ModelConfig(dir.toString(), "cpu", "gpu")),
                        LevelSource.fixed(level)))) {
            inference.setProcessingTime(1_700_000_000_500L);
            inference.open();
            assertThat(ModelRegistry.shared().references(dir, Device.cpu())).isEqualTo(1);
            for (DecodedFrame f : decoded) {
                inference.processElement(new StreamRecord<>(f, f.captureTs()));
            }
            inference.endInput();
            labels = inference.extractOutputValues();
        }
        assertThat(ModelRegistry.shared().references(dir, Device.cpu())).isZero();

        assertThat(labels).extracting(r -> r.stream() + "#" + r.seq()).containsExactly("cam-1#0", "cam-2#0", "cam-1#2");
        assertThat(labels).extracting(LabelRecord::batchSize).containsExactly(2, 2, 1);
        ModelRegistry.LoadedModel direct = ModelRegistry.loadDirectory(dir, Device.cpu());
        direct.model().close();
        assertThat(labels).extracting(LabelRecord::model).containsOnly(direct.id());
        assertThat(labels).extracting(LabelRecord::level).containsOnly(new LabelRecord.Level("tome", "tome:2", null));

        try (VitModel model = VitModel.load(dir, Device.cpu())) {
            for (int i = 0; i < decoded.size(); i++) {
                DecodedFrame f = decoded.get(i);
                LabelRecord label = labels.get(i);
                assertThat(label.captureTs()).isEqualTo(f.captureTs());
                assertThat(label.ageMs()).isEqualTo(1_700_000_000_500L - f.captureTs());
                float[] logits = model.logits(f.pixels(), new long[] {1, 3, 32, 32}, level)[0];
                List<LabelRecord.Label> expected = TopLabels.of(logits, TinyModels.LABELS, 3);
                assertThat(label.labels())
                        .extracting(LabelRecord.Label::label)
                        .containsExactlyElementsOf(
                                expected.stream().map(LabelRecord.Label::label).toList());
                for (int k = 0; k < 3; k++) {
                    // Batched and single-frame forward passes differ only by float rounding.
                    assertThat(label.labels().get(k).score())
                            .isCloseTo(expected.get(k).score(), within(1e-4));
                }
            }
        }
    }
}
