/**
 * The job jar's entry points: {@link org.tocomstream.job.Main}, the command line, dispatches to
 * one {@link org.tocomstream.job.cli.Command} per subcommand; {@link org.tocomstream.job.StreamJob}
 * is the Flink application entry for clusters.
 *
 * <p>Packages, dependencies one way ({@code cli} &larr; families &larr; this package):
 *
 * <ul>
 *   <li>{@code cli}: the command contract, the option parser, exit statuses and the option groups
 *       several commands share (device, compression level, data source).
 *   <li>{@code run}: {@code run} (the streaming job in a local MiniCluster, with an in-process
 *       broker and synthetic cameras by default) and {@code produce} (frames to Kafka), with the
 *       frame sources, the status line and the bundled demo model.
 *   <li>{@code train}: {@code train}, {@code evaluate} and {@code predict}.
 *   <li>{@code tocom}: {@code tocom train | calibrate | eval | proof}, the Token Compensator's
 *       commands.
 *   <li>{@code bench}: {@code bench} (model-only speed, with a dense-matmul and an ONNX Runtime
 *       reference) and {@code bench-pipeline} (end to end through Kafka).
 *   <li>{@code loadtest}: the overload experiment.
 *   <li>{@code kafka} and {@code pipeline}: the Kafka edges and the job graph, shared by {@code
 *       run}, {@link org.tocomstream.job.StreamJob} and the measuring commands.
 * </ul>
 *
 * <p>Exit status: 0 ok, 1 failure (one line, stack trace with {@code --verbose}), 2 bad usage (one
 * line naming the option).
 */
package org.tocomstream.job;
