/**
 * The job jar's command line: {@link org.tocomstream.job.Main} dispatches to one {@code Command}
 * per subcommand.
 *
 * <ul>
 *   <li>{@code predict}: top-K labels for images, image directories and pre-normalised {@code
 *       .npy} batches at a chosen compression level; {@code --logits-out} writes the logits.
 *   <li>{@code bench}: images/s per (batch size, compression level) with random weights, levels
 *       timed interleaved; a dense matmul in the same engine as the efficiency reference; ONNX
 *       Runtime on an exported plain ViT ({@code src/fixtures/export_onnx.py}) as the outside
 *       anchor; optional libtorch profile ("where the time goes") and resident-memory check.
 *   <li>{@code train}: trains from fresh weights or fine-tunes a model directory on an image
 *       folder or generated scenes at a compression level; writes a model directory that resumes.
 *   <li>{@code evaluate}: held-out top-1 accuracy of a model at each compression level, with MACs;
 *       optional JSON.
 *   <li>{@code run} (also: no arguments, or options without a command): the streaming job in a
 *       local MiniCluster; without {@code --bootstrap} with an in-process Kafka broker and
 *       synthetic cameras; a status line a second.
 *   <li>{@code produce}: frames to a Kafka topic from images, a video (JCodec) or the scene
 *       generator, N streams at F fps.
 * </ul>
 *
 * <p>{@link org.tocomstream.job.StreamJob} is the Flink application entry for clusters.
 *
 * <p>Arguments are parsed by a small hand-written parser ({@code OptionParser}, {@code
 * ParsedArgs}) whose errors name the command and the option. Exit status: 0 ok, 1 failure (one
 * line, stack trace with {@code --verbose}), 2 bad usage (one line).
 */
package org.tocomstream.job;
