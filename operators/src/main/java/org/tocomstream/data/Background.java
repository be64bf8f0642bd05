package org.tocomstream.data;

/**
 * Background textures. Each scene draws one kind and a two-colour palette of muted colours
 * (saturation at most 0.45), so the saturated object stays visible while the texture's scale,
 * orientation, contrast and colours vary from frame to frame.
 */
public enum Background {
    /** Smooth two-octave value noise (cloudy blotches). */
    VALUE_NOISE,
    /** Parallel stripes at a random angle, period and edge softness. */
    STRIPES,
    /** A checkerboard at a random angle and cell size. */
    CHECKER,
    /** A linear gradient in a random direction. */
    GRADIENT
}
