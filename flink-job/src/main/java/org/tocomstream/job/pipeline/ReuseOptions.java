package org.tocomstream.job.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.tocomstream.model.ReuseCacheConfig;

/**
 * The settings of the per-camera token-reuse cache ({@code src/docs/reuse.md}), used when a batch
 * runs at a {@code reuse:} level.
 */
public final class ReuseOptions {

    private ReuseOptions() {}

    public static final ConfigOption<Integer> MAX_STREAMS = ConfigOptions.key(ReuseCacheConfig.MAX_STREAMS)
            .intType()
            .defaultValue(ReuseCacheConfig.DEFAULTS.maxStreams())
            .withDescription("Cameras whose token-reuse cache one inference subtask keeps; the least"
                    + " recently seen is evicted beyond. Memory per camera: 6·N·D floats per block"
                    + " (the bundled model: 2.4 MB; DeiT-S: 21.8 MB), logged when the subtask opens.");

    public static final ConfigOption<Integer> REFRESH_FRAMES = ConfigOptions.key(ReuseCacheConfig.REFRESH_FRAMES)
            .intType()
            .defaultValue(ReuseCacheConfig.DEFAULTS.refreshFrames())
            .withDescription("A camera's frame is computed in full after this many frames reused its"
                    + " cache, so stale tokens cannot last longer.");

    public static final ConfigOption<Double> SCENE_CUT = ConfigOptions.key(ReuseCacheConfig.SCENE_CUT)
            .doubleType()
            .defaultValue(ReuseCacheConfig.DEFAULTS.sceneCut())
            .withDescription("Fraction of a frame's patch tokens that moved (by more than a quarter of"
                    + " their norm) above which the frame is a scene cut and is computed in full;"
                    + " 1 turns the check off.");

    /** The options in print order. */
    public static List<ConfigOption<?>> all() {
        return List.of(MAX_STREAMS, REFRESH_FRAMES, SCENE_CUT);
    }

    /**
     * The cache settings.
     *
     * @throws IllegalArgumentException naming the setting
     */
    public static ReuseCacheConfig config(ReadableConfig conf) {
        return new ReuseCacheConfig(conf.get(MAX_STREAMS), conf.get(REFRESH_FRAMES), conf.get(SCENE_CUT));
    }

    /** Problems with the settings, each naming its key. */
    static List<String> validate(ReadableConfig conf) {
        List<String> errors = new ArrayList<>();
        try {
            config(conf);
        } catch (IllegalArgumentException e) {
            errors.add(e.getMessage());
        }
        return errors;
    }
}
