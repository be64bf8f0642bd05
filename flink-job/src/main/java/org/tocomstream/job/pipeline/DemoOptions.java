package org.tocomstream.job.pipeline;

import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;

/**
 * Settings of the local run ({@code java -jar tocom-stream.jar} or {@code run}): the synthetic
 * cameras it feeds the frames topic with, the topics it creates, how long it runs. Not used by
 * {@code StreamJob} on a cluster.
 */
public final class DemoOptions {

    private DemoOptions() {}

    /** Cores of this machine, for the defaults. */
    private static final int CORES = Runtime.getRuntime().availableProcessors();

    public static final ConfigOption<Integer> STREAMS = ConfigOptions.key("demo.streams")
            .intType()
            .defaultValue(Math.max(2, Math.min(16, 2 * CORES)))
            .withDescription("Synthetic cameras publishing to the frames topic (0 = none). Default: two per"
                    + " core, 2 to 16. With an external Kafka (--bootstrap) the default is 0.");

    public static final ConfigOption<Double> FPS = ConfigOptions.key("demo.fps")
            .doubleType()
            .defaultValue(10.0)
            .withDescription("Frames per second of each synthetic camera.");

    public static final ConfigOption<Integer> FRAME_SIZE = ConfigOptions.key("demo.frame-size")
            .intType()
            .defaultValue(64)
            .withDescription("Side of the synthetic camera frames in pixels (JPEG).");

    public static final ConfigOption<Long> SEED = ConfigOptions.key("demo.seed")
            .longType()
            .defaultValue(0L)
            .withDescription("Scene generator seed of the synthetic cameras.");

    public static final ConfigOption<Integer> PARTITIONS = ConfigOptions.key("demo.partitions")
            .intType()
            .defaultValue(2)
            .withDescription("Partitions of each topic the run creates (topics that exist are kept).");

    public static final ConfigOption<Duration> RUN_FOR = ConfigOptions.key("demo.run-for")
            .durationType()
            .defaultValue(Duration.ZERO)
            .withDescription("Stop after this long; 0 = until Ctrl-C (or until a bounded job ends).");

    /** The options in print order. */
    public static List<ConfigOption<?>> all() {
        return List.of(STREAMS, FPS, FRAME_SIZE, SEED, PARTITIONS, RUN_FOR);
    }
}
