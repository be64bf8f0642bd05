package org.tocomstream.stream;

import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.OneInputStreamOperatorFactory;
import org.apache.flink.streaming.api.operators.StreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;

/**
 * The batching inference operator: decoded frames in, one {@link LabelRecord} per frame out, in
 * input order. It cuts a batch at {@link BatchingConfig#maxBatchSize()} frames or when the first
 * frame has waited {@link BatchingConfig#maxDelay()}, asks the {@link LevelSource} once for the
 * batch's {@link BatchPlan} (its compression level, and the frames to skip under overload), runs
 * the forward pass on one of {@link BatchingConfig#maxInFlight()} inference threads and writes
 * the level, the model, the batch size, the inference time and the frame's age into each label.
 * It holds no state across checkpoints: each barrier waits until every frame before it is
 * labelled. A slow model backpressures the input; an inference error fails the task. Metrics:
 * {@link InferenceMetrics}.
 *
 * <pre>{@code
 * BatchInferenceOperatorFactory inference =
 *         new BatchInferenceOperatorFactory(
 *                 new BatchingConfig(16, Duration.ofMillis(50), 2),
 *                 5,                                                       // top-k labels
 *                 PredictorFactory.sharedModel(ModelConfig.of("/models/vit_demo")),
 *                 LevelSource.fixed(CompressionLevel.parse("tome:8")));
 * SingleOutputStreamOperator<LabelRecord> labels = inference.applyTo(decodedFrames);
 * }</pre>
 *
 * <p>Order per stream holds as long as all frames of a stream reach the same inference subtask in
 * order: chain the operator to the decoder (same parallelism, forward) or key the decoded frames
 * by {@link DecodedFrame#stream()}; never rebalance between them.
 */
public final class BatchInferenceOperatorFactory extends AbstractStreamOperatorFactory<LabelRecord>
        implements OneInputStreamOperatorFactory<DecodedFrame, LabelRecord> {

    private static final long serialVersionUID = 1L;

    /** Setting name of the number of labels per frame. */
    public static final String TOP_K = "vit.labels.top-k";

    /** Default labels per frame. */
    public static final int DEFAULT_TOP_K = 5;

    /** Default operator name used by {@link #applyTo}. */
    public static final String DEFAULT_NAME = "batch-inference";

    private final BatchingConfig batching;
    private final int topK;
    private final PredictorFactory predictors;
    private final LevelSource levels;

    /**
     * @param batching batch size, delay and in-flight bound
     * @param topK labels per frame, best first (setting {@value #TOP_K}); clamped with a WARN to
     *     the model's number of classes
     * @param predictors opens each subtask's model handle, e.g. {@link
     *     PredictorFactory#sharedModel}
     * @param levels the compression level of each batch, e.g. {@link LevelSource#fixed}
     * @throws IllegalArgumentException naming the setting
     */
    public BatchInferenceOperatorFactory(
            BatchingConfig batching, int topK, PredictorFactory predictors, LevelSource levels) {
        this.batching = Objects.requireNonNull(batching, "batching");
        if (topK < 1) {
            throw new IllegalArgumentException(String.format("%s must be >= 1 but was %d", TOP_K, topK));
        }
        this.topK = topK;
        this.predictors = Objects.requireNonNull(predictors, "predictors");
        this.levels = Objects.requireNonNull(levels, "levels");
    }

    /** {@code frames.transform(DEFAULT_NAME, LabelRecord type, this)}. */
    public SingleOutputStreamOperator<LabelRecord> applyTo(DataStream<DecodedFrame> frames) {
        return frames.transform(DEFAULT_NAME, TypeInformation.of(LabelRecord.class), this);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends StreamOperator<LabelRecord>> T createStreamOperator(
            StreamOperatorParameters<LabelRecord> parameters) {
        return (T) new BatchInferenceOperator(parameters, batching, topK, predictors, levels);
    }

    @Override
    @SuppressWarnings("rawtypes")
    public Class<? extends StreamOperator> getStreamOperatorClass(ClassLoader classLoader) {
        return BatchInferenceOperator.class;
    }
}
