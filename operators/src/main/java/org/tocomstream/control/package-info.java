/**
 * Load-driven choice of the compression level: the pure decision part of backpressure control.
 *
 * <p>{@link org.tocomstream.control.LevelController} is the one entry type: {@code (load signal,
 * current level, clock) → next level} over a {@link org.tocomstream.control.Ladder} of levels
 * costed by the cost model. {@link org.tocomstream.control.ControllerConfig} and {@link
 * org.tocomstream.control.Shedding} are its validated settings, {@link
 * org.tocomstream.control.LoadSignal} its input and {@link org.tocomstream.control.Decision} its
 * output. The Flink side ({@code org.tocomstream.stream.LevelSource#adaptive}) samples the
 * signals in the inference operator and applies the decision; {@code src/docs/controller.md}
 * explains the policy and its settings.
 *
 * <p>{@link org.tocomstream.control.ScalingPolicy} is the second, slower loop: from each subtask's
 * {@link org.tocomstream.control.FullQualityLoad} (the load at rung 0, which compression does not
 * hide) it recommends the parallelism, with its settings in {@link
 * org.tocomstream.control.ScalingConfig}; {@code src/docs/operations.md} (cost control) says how a
 * deployment acts on it.
 *
 * <p>Rung 0 is the most accurate level; higher rungs compress more. Times are milliseconds from an
 * injected clock.
 *
 * <p>This package never imports Flink.
 */
package org.tocomstream.control;
