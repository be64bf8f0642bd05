/**
 * Token compression for Vision Transformers, applied per forward call.
 *
 * <p>{@link org.tocomstream.compress.CompressionLevel} is the value every batch carries: ToMe
 * merging (constant, decreasing or explicit per-block r) or EViT pruning (keep rate at chosen
 * blocks). {@link org.tocomstream.compress.TokenCounts} defines the resulting token counts
 * (ToMe's clamp, EViT's keep count) and {@link org.tocomstream.compress.CostModel} the MACs of any
 * (architecture, level); both read the architecture as a {@link
 * org.tocomstream.compress.TokenGeometry}, which the model side builds, so this package depends on
 * no other package of the project. {@link org.tocomstream.compress.MergePlan} and {@link
 * org.tocomstream.compress.PrunePlan} split each reduction into a plan computed once from the
 * block's attention and an application to any tensor of the batch.
 *
 * <p>Shape legend used in the Javadoc: B batch, N tokens including the prefix (class and, for
 * distilled DeiT, distillation) tokens, P prefix tokens, C or D channels, H heads, d = D / H, r
 * tokens removed by a merge, Na = ceil(N / 2) and Nb = floor(N / 2) the even- and odd-position
 * sets of ToMe's bipartite split.
 *
 * <p>This package never imports Flink.
 */
package org.tocomstream.compress;
