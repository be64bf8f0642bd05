/**
 * The streaming job's definition: {@link org.tocomstream.job.pipeline.StreamJobOptions} (every
 * setting as a typed Flink {@code ConfigOption}), {@link org.tocomstream.job.pipeline.StreamPipeline}
 * (Kafka source → label stage → Kafka sinks, delivery guarantees and checkpoints), {@link
 * org.tocomstream.job.pipeline.VitLabelStage} (decode + batching ViT inference from the {@code
 * stream} operators), {@link org.tocomstream.job.pipeline.DeliveryCheck} (exactly-once timeout
 * against the broker), {@link org.tocomstream.job.pipeline.DeadLetterLimit} (the dead-letter
 * sink sized to what the dead-letter topic accepts), {@link org.tocomstream.job.pipeline.EffectiveConfig} (the configuration
 * printed at start) and {@link org.tocomstream.job.pipeline.DemoOptions} (the local run's
 * cameras). The command line binds flags to the options ({@code JobArgs}); {@code StreamJob} and
 * {@code run} build the job from them. See {@code src/docs/streaming-job.md}.
 */
package org.tocomstream.job.pipeline;
