package org.tocomstream.model;

/**
 * What a batch run with token reuse returned, per frame ({@link VitModel#logitsReusing}).
 *
 * @param logits {@code [B][classes]}
 * @param recomputed patch tokens each block recomputed for the frame: the level's k when the
 *     frame reused its stream's cache, every patch token when it was computed in full
 * @param reused false for a frame computed in full (its stream had no cache yet, the cache was
 *     reset or refreshed, or the frame was a scene cut)
 */
public record ReuseResult(float[][] logits, int[] recomputed, boolean[] reused) {}
