package org.tocomstream.job.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.stream.BatchInferenceOperatorFactory;
import org.tocomstream.stream.BatchingConfig;
import org.tocomstream.stream.DecodeConfig;
import org.tocomstream.stream.DecodedFrame;
import org.tocomstream.stream.FrameDecodeFunction;
import org.tocomstream.stream.FrameRecord;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.ModelConfig;
import org.tocomstream.stream.PredictorFactory;

/**
 * The model stage of the job: {@link FrameDecodeFunction} (validate, decode, preprocess; bad
 * records to its dead-letter side output) chained to the {@link BatchInferenceOperatorFactory
 * batching inference operator} at the same parallelism, so all frames of a stream (one Kafka
 * partition) pass one subtask in order. The model's {@code model.json} is read here, on the
 * client, for its preprocessing and, with the adaptive policy, for the cost model that prices the
 * controller's ladder ({@link ControlOptions}), and to check that every level the job may run fits
 * the model ({@link LevelFitCheck}); the weights, and the Token Compensator plugin when
 * one is configured or present in the model directory ({@link CompensatorCheck}), are loaded by
 * each TaskManager from the same paths.
 */
public final class VitLabelStage implements StreamPipeline.LabelStage {

    private static final long serialVersionUID = 1L;

    /** Uid of the decode operator. */
    public static final String DECODE_UID = "decode";

    /** Uid of the inference operator. */
    public static final String INFERENCE_UID = "batch-inference";

    /**
     * The model, device and Token Compensator settings as the record the inference operator gets.
     *
     * @throws IllegalArgumentException naming the setting that is invalid
     */
    public static ModelConfig modelConfig(ReadableConfig conf) {
        return new ModelConfig(
                conf.get(StreamJobOptions.MODEL_DIR),
                conf.get(StreamJobOptions.DEVICE),
                conf.get(StreamJobOptions.GPU_RESOURCE),
                conf.get(StreamJobOptions.COMPENSATOR),
                conf.getOptional(StreamJobOptions.COMPENSATOR_SCALE).orElse(null),
                conf.getOptional(StreamJobOptions.STUDENT)
                        .filter(d -> !d.isBlank())
                        .orElse(null));
    }

    @Override
    public StreamPipeline.Outputs apply(DataStream<FrameRecord> frames, ReadableConfig conf) {
        String modelDir = conf.get(StreamJobOptions.MODEL_DIR);
        if (modelDir == null || modelDir.isBlank()) {
            throw new IllegalArgumentException(StreamJobOptions.MODEL_DIR.key() + " is not set");
        }
        ModelSpec spec;
        try {
            spec = ModelSpec.read(Path.of(modelDir));
        } catch (IOException e) {
            throw new UncheckedIOException(
                    StreamJobOptions.MODEL_DIR.key() + ": cannot read "
                            + Path.of(modelDir).resolve(ModelSpec.FILE_NAME) + ": " + e.getMessage(),
                    e);
        }
        List<String> misfits = LevelFitCheck.problems(conf, spec);
        if (!misfits.isEmpty()) {
            throw new IllegalArgumentException(misfits.get(0));
        }
        DecodeConfig limits = new DecodeConfig(
                conf.get(StreamJobOptions.MAX_FRAME_BYTES).getBytes(),
                conf.get(StreamJobOptions.MAX_PIXELS),
                conf.get(StreamJobOptions.MAX_DECODED_BYTES).getBytes(),
                conf.get(StreamJobOptions.MAX_KEY_BYTES).getBytes());
        SingleOutputStreamOperator<DecodedFrame> decoded = frames.process(
                        new FrameDecodeFunction(spec.preprocessing(), limits))
                .name("decode")
                .uid(DECODE_UID);
        BatchInferenceOperatorFactory inference = new BatchInferenceOperatorFactory(
                new BatchingConfig(
                        conf.get(StreamJobOptions.MAX_BATCH),
                        conf.get(StreamJobOptions.MAX_DELAY),
                        conf.get(StreamJobOptions.MAX_IN_FLIGHT)),
                conf.get(StreamJobOptions.TOP_K),
                PredictorFactory.sharedModel(modelConfig(conf), ReuseOptions.config(conf)),
                ControlOptions.levelSource(conf, StudentOptions.cost(conf, spec)));
        SingleOutputStreamOperator<LabelRecord> labels =
                inference.applyTo(decoded).uid(INFERENCE_UID);
        return new StreamPipeline.Outputs(labels, decoded.getSideOutput(FrameDecodeFunction.DEAD_LETTERS));
    }
}
