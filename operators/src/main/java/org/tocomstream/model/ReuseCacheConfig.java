package org.tocomstream.model;

import java.io.Serializable;

/**
 * Settings of the per-camera token-reuse cache ({@link ReuseCache}, {@code src/docs/reuse.md}).
 *
 * @param maxStreams cameras cached at most; the least recently used is evicted beyond (setting
 *     {@value #MAX_STREAMS}). Memory: this many times {@link ReuseState#bytes(VitConfig)}
 * @param refreshFrames a camera's frame is computed in full after this many frames reused its
 *     cache, bounding how long stale tokens can last (setting {@value #REFRESH_FRAMES})
 * @param sceneCut fraction of patch tokens moved above which a frame is a scene cut and computed
 *     in full (setting {@value #SCENE_CUT}); 1 turns the check off
 */
public record ReuseCacheConfig(int maxStreams, int refreshFrames, double sceneCut) implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final String MAX_STREAMS = "vit.reuse.max-streams";
    public static final String REFRESH_FRAMES = "vit.reuse.refresh-frames";
    public static final String SCENE_CUT = "vit.reuse.scene-cut";

    /** 64 cameras, a full frame every 256, scene cut above half the tokens moved. */
    public static final ReuseCacheConfig DEFAULTS = new ReuseCacheConfig(64, 256, 0.5);

    public ReuseCacheConfig {
        if (maxStreams < 1) {
            throw new IllegalArgumentException(String.format("%s must be >= 1 but was %d", MAX_STREAMS, maxStreams));
        }
        if (refreshFrames < 1) {
            throw new IllegalArgumentException(
                    String.format("%s must be >= 1 but was %d", REFRESH_FRAMES, refreshFrames));
        }
        if (!(sceneCut > 0 && sceneCut <= 1)) {
            throw new IllegalArgumentException(String.format("%s must be in (0, 1] but was %s", SCENE_CUT, sceneCut));
        }
    }
}
