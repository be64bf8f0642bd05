/**
 * Token Compensator (ToCom, {@code src/docs/token-reduction.md}): a low-rank plugin that lets a ViT trained
 * at one ToMe degree m run at another degree n with less loss, applied per forward call.
 *
 * <ul>
 *   <li>{@link org.tocomstream.compensate.TokenCompensator} is the entry type: the plugin's
 *       weights and file format, its (m → n) arithmetic, and {@code bind} to a loaded model.
 *   <li>{@link org.tocomstream.compensate.BoundCompensator} turns each call's {@link
 *       org.tocomstream.compensate.CompensatorPair} into the {@link org.tocomstream.model.QvAdapter}
 *       the forward pass takes as an argument: side branch or merged weights ({@link
 *       org.tocomstream.compensate.CompensatorMode}), cached per pair, so switching pairs never
 *       reloads anything and the model holds no compensator state.
 *   <li>{@link org.tocomstream.compensate.CompensatorCalibration} fits a base's plugin to a model
 *       fine-tuned from it: per-pair scale factors from plain KLs on unlabelled frames.
 *   <li>{@link org.tocomstream.compensate.TocomTrainer} trains a plugin by self-distillation on
 *       unlabelled images ({@link org.tocomstream.compensate.TocomTrainConfig}, progress as
 *       {@link org.tocomstream.compensate.TocomProgress}); {@link
 *       org.tocomstream.compensate.CompensatorEvaluation} measures one over a grid of pairs.
 * </ul>
 *
 * <p>Shapes: B batch, N tokens, D width, R = rankPerStep × maxDegree the plugin's rank, k =
 * rankPerStep·|n − m| the active rank of one pair. Weight matrices follow PyTorch's {@code Linear}
 * convention (out, in).
 *
 * <p>This package never imports Flink.
 */
package org.tocomstream.compensate;
