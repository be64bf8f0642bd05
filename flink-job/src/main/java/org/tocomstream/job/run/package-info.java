/**
 * {@code run}: the streaming job in a local Flink MiniCluster (without {@code --bootstrap} with an
 * in-process KRaft broker and synthetic cameras; without {@code --model} the bundled demo model),
 * one status line a second; and {@code produce}: frames to a Kafka topic from an image folder, a
 * video (JCodec) or the scene generator. Also the pieces the measuring commands reuse to run the
 * pipeline locally ({@link org.tocomstream.job.run.PipelineRuns}, {@link
 * org.tocomstream.job.run.LabelReader}) and {@link org.tocomstream.job.run.JobArgs}, the job's
 * command-line flags that {@link org.tocomstream.job.StreamJob} shares.
 */
package org.tocomstream.job.run;
