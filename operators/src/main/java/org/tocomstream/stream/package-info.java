/**
 * The Flink side of tocom-stream: decoding frames, batching inference, and the records and names
 * the Kafka edges share ({@code src/docs/wire-format.md}). The only package of this module that
 * uses Flink; the model, compression and controller code it calls never does.
 *
 * <h2>The pipeline</h2>
 *
 * <pre>
 * KafkaSource&lt;FrameRecord&gt;                         (flink-job: FrameDeserializationSchema)
 *   └ FrameDecodeFunction     FrameRecord → DecodedFrame, side output DEAD_LETTERS
 *   └ batch inference         DecodedFrame → LabelRecord   (BatchInferenceOperatorFactory)
 *   └ KafkaSink&lt;LabelRecord&gt;                         (flink-job; dead letters to their own sink)
 * </pre>
 *
 * <pre>{@code
 * ModelSpec spec = ModelSpec.read(Path.of(modelDir));
 * SingleOutputStreamOperator<DecodedFrame> frames =
 *         records.process(new FrameDecodeFunction(spec.preprocessing(), DecodeConfig.defaults()))
 *                 .name("decode");
 * SingleOutputStreamOperator<LabelRecord> labels =
 *         new BatchInferenceOperatorFactory(
 *                         new BatchingConfig(16, Duration.ofMillis(50), 2),
 *                         BatchInferenceOperatorFactory.DEFAULT_TOP_K,
 *                         PredictorFactory.sharedModel(ModelConfig.of(modelDir)),
 *                         LevelSource.fixed(CompressionLevel.parse("tome:8")))
 *                 .applyTo(frames);
 * DataStream<DeadLetter> deadLetters = frames.getSideOutput(FrameDecodeFunction.DEAD_LETTERS);
 * }</pre>
 *
 * <h2>Entry types</h2>
 *
 * <ul>
 *   <li>{@link org.tocomstream.stream.FrameDecodeFunction} with {@link
 *       org.tocomstream.stream.DecodeConfig}: validation, preprocessing, dead letters.
 *   <li>{@link org.tocomstream.stream.BatchInferenceOperatorFactory} with {@link
 *       org.tocomstream.stream.BatchingConfig}: the batching inference operator; its metrics are
 *       named in {@link org.tocomstream.stream.InferenceMetrics}.
 *   <li>{@link org.tocomstream.stream.LevelSource}: one {@link org.tocomstream.stream.BatchPlan}
 *       per batch (compression level, frames to skip, coalescing of the next batch), asked with
 *       {@link org.tocomstream.stream.LoadSignals}; {@code fixed(level)} or {@code
 *       adaptive(config)}, the load controller.
 *   <li>{@link org.tocomstream.stream.PredictorFactory} / {@link
 *       org.tocomstream.stream.BatchPredictor}: a subtask's model handle; {@code
 *       sharedModel(ModelConfig)} shares one loaded model per (directory, device) per TaskManager
 *       through {@link org.tocomstream.stream.ModelRegistry}.
 *   <li>Records on the wire: {@link org.tocomstream.stream.FrameRecord}, {@link
 *       org.tocomstream.stream.DecodedFrame}, {@link org.tocomstream.stream.LabelRecord}, {@link
 *       org.tocomstream.stream.DeadLetter}; names in {@link org.tocomstream.stream.WireFormat}.
 * </ul>
 *
 * <p>Configuration records validate in their constructors and name the job setting of a bad value
 * ({@code vit.batch.max-size}, {@code vit.model.device}, ...); operators never read maps or
 * properties.
 */
package org.tocomstream.stream;
