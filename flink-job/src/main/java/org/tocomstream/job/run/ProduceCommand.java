package org.tocomstream.job.run;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.ShutdownSignal;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.kafka.FramePublisher;
import org.tocomstream.job.kafka.KafkaTopics;
import org.tocomstream.stream.WireFormat;

/**
 * {@code produce}: publishes frames to a Kafka topic in the wire format (key = stream id, value =
 * JPEG/PNG, headers {@code frame-seq}, {@code capture-ts}, {@code content-type}) from an image
 * directory, a video file or the synthetic scene generator, for {@code N} streams at {@code F}
 * frames per second each.
 */
public final class ProduceCommand implements Command {

    static final String BOOTSTRAP = "--bootstrap";
    static final String TOPIC = "--topic";
    static final String IMAGES = "--images";
    static final String VIDEO = "--video";
    static final String GENERATOR = "--generator";
    static final String FPS = "--fps";
    static final String STREAMS = "--streams";
    static final String PREFIX = "--stream-prefix";
    static final String COUNT = "--count";
    static final String SECONDS = "--seconds";
    static final String LOOP = "--loop";
    static final String PNG = "--png";
    static final String FRAME_SIZE = "--frame-size";
    static final String SEED = "--data-seed";
    static final String PARTITIONS = "--partitions";
    static final String HOSTILE = "--hostile";
    static final String SCENE = DataOptions.SCENE;

    private final OptionParser parser = new OptionParser("produce")
            .value(BOOTSTRAP, "HOST:PORT", "Kafka bootstrap servers (required)")
            .value(TOPIC, "NAME", "topic to publish to (default " + WireFormat.DEFAULT_FRAMES_TOPIC + ")")
            .value(IMAGES, "DIR", "publish the .jpg/.jpeg/.png files of DIR, in name order, unchanged")
            .value(
                    VIDEO,
                    "FILE",
                    "publish the frames of a video (any codec FFmpeg decodes: H.264,\nH.265, MPEG-4/DivX/Xvid, MJPEG, ...) as JPEG, at its own frame rate\nunless --fps is given")
            .flag(GENERATOR, "publish synthetic camera frames (scene generator; endless)")
            .flag(HOSTILE, "publish --count seeded hostile records (see above)")
            .value(
                    FPS,
                    "F",
                    "frames per second per stream (default 10, a video's own rate for\n--video; 0 = as fast as possible);\n--hostile: records per second in all (default 0)")
            .value(STREAMS, "N", "number of streams (default 1); ids PREFIX0..PREFIX(N-1)")
            .value(PREFIX, "TEXT", "stream id prefix (default cam-)")
            .value(COUNT, "N", "stop after N frames per stream; --hostile: N records (required)")
            .value(SECONDS, "S", "stop after S seconds")
            .flag(LOOP, "images/video: start again at the end (default: stop)")
            .flag(PNG, "generator: PNG instead of JPEG")
            .value(FRAME_SIZE, "PX", "generator: frame side in pixels (default 64)")
            .value(SCENE, "S", "generator: " + DataOptions.SCENE_HELP)
            .value(SEED, "N", "generator, hostile: seed (default 0)")
            .value(PARTITIONS, "N", "partitions when the topic has to be created (default 1)");

    @Override
    public String name() {
        return "produce";
    }

    @Override
    public String summary() {
        return "publish frames to Kafka from images, a video or the scene generator, or hostile records";
    }

    @Override
    public String help() {
        return "usage: produce --bootstrap HOST:PORT (--images DIR | --video FILE | --generator [--scene S])\n"
                + "               [--topic NAME] [--fps F] [--streams N] [--count N] [--seconds S] [--loop]\n"
                + "       produce --bootstrap HOST:PORT --topic NAME --hostile --count N [--data-seed S] [--fps F]\n\n"
                + "Publishes frames in the wire format: key = stream id, value = the image,\n"
                + "headers frame-seq, capture-ts (send time, also the record timestamp), content-type.\n"
                + "Frames of all streams are spread evenly over each second. The topic is created\n"
                + "when missing. Ctrl-C stops after flushing what was sent.\n\n"
                + "--hostile publishes N seeded records hostile to the job: valid JPEG/PNG frames,\n"
                + "mutations of them, header fuzz, odd keys, values up to and above the job's value cap,\n"
                + "and every 50th record a big one (0.3 to 1.5 MB: 16-bit PNGs of 36 Mpixel, padded\n"
                + "PNGs, garbage). Each carries headers x-hostile-id (index), x-hostile-kind and\n"
                + "x-hostile-expect (label, dead or either), which 'audit' checks. The broker (or topic)\n"
                + "must accept 1.5 MB records: message.max.bytes >= ~2 MB. Prints records, bytes and\n"
                + "counts by kind.\n\n"
                + "options:\n" + parser.optionsHelp();
    }

    /** The checked options: the broker, what to publish where, and the partitions of a new topic. */
    private record Options(String bootstrap, FramePublisher.Settings settings, int partitions) {}

    /**
     * The frames to publish, their description for the log, what to close after (or null) and their
     * own frames per second (a video's; 0 when none).
     */
    private record Source(FramePublisher.FrameSupplier supplier, String what, AutoCloseable resource, double fps) {}

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        ParsedArgs args = parser.parseOptions(argv, BOOTSTRAP);
        if (args.has(HOSTILE)) {
            return runHostile(args, out, err);
        }
        Options options = options(args);
        String bootstrap = options.bootstrap();
        FramePublisher.Settings settings = options.settings();
        Source source = source(args, settings);
        if (source.fps() > 0 && !args.has(FPS)) {
            settings = new FramePublisher.Settings(
                    settings.topic(),
                    settings.streams(),
                    source.fps(),
                    settings.streamPrefix(),
                    settings.framesPerStream(),
                    settings.duration());
        }
        String topic = settings.topic();
        int streams = settings.streams();
        double fps = settings.fps();
        AutoCloseable resource = source.resource();
        ensureTopic(bootstrap, topic, options.partitions(), resource, err);

        err.printf(
                Locale.ROOT,
                "produce: %d stream(s) x %s fps from %s to %s at %s%n",
                streams,
                fps == 0 ? "max" : String.format(Locale.ROOT, "%.3g", fps),
                source.what(),
                topic,
                bootstrap);
        long start = System.nanoTime();
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "produce-progress");
            t.setDaemon(true);
            return t;
        });
        FramePublisher publisher = FramePublisher.create(bootstrap, settings, source.supplier());
        ShutdownSignal signal = ShutdownSignal.install(publisher::stop, 30);
        try {
            progress.scheduleAtFixedRate(
                    () -> err.printf(
                            Locale.ROOT,
                            "produce: %d frames sent, %d acknowledged%n",
                            publisher.sent(),
                            publisher.acknowledged()),
                    5,
                    5,
                    TimeUnit.SECONDS);
            try {
                publisher.run();
            } catch (Exception e) {
                throw new CommandFailedException(
                        "after " + publisher.acknowledged() + " frames: " + Cli.describe(e), e);
            }
            double secs = (System.nanoTime() - start) / 1e9;
            out.printf(
                    Locale.ROOT,
                    "published %d frames of %d stream(s) to %s in %.1f s (%.1f frames/s)%s%s%n",
                    publisher.acknowledged(),
                    streams,
                    topic,
                    secs,
                    publisher.acknowledged() / secs,
                    source.supplier() instanceof VideoFrames video
                            ? ", " + video.skippedPackets() + " undecodable video packet(s) skipped"
                            : "",
                    signal.signalled() ? " (stopped by signal)" : "");
        } finally {
            progress.shutdownNow();
            closeQuietly(resource);
            publisher.close();
            // Last: a Ctrl-C'd JVM may exit once the producer is flushed and closed.
            signal.close();
        }
        return Cli.OK;
    }

    private static int runHostile(ParsedArgs args, PrintStream out, PrintStream err)
            throws UsageException, CommandFailedException {
        String bootstrap = bootstrap(args);
        for (String o :
                new String[] {IMAGES, VIDEO, GENERATOR, STREAMS, PREFIX, SECONDS, LOOP, PNG, FRAME_SIZE, SCENE}) {
            if (args.has(o)) {
                throw args.error(o, "not with " + HOSTILE);
            }
        }
        args.required(COUNT, "N");
        String topic = args.string(TOPIC, WireFormat.DEFAULT_FRAMES_TOPIC);
        int count = args.positiveInt(COUNT).getAsInt();
        double fps = args.number(FPS, 0, v -> v >= 0, "a number >= 0");
        long seed = args.longValue(SEED).orElse(0);
        ensureTopic(bootstrap, topic, args.positiveInt(PARTITIONS, 1), null, err);
        HostileProducer.run(bootstrap, topic, count, seed, fps, out, err);
        return Cli.OK;
    }

    private static String bootstrap(ParsedArgs args) throws UsageException {
        String bootstrap = args.string(BOOTSTRAP).orElseThrow();
        if (!KafkaTopics.isBootstrapServers(bootstrap)) {
            throw args.error(BOOTSTRAP, "expected HOST:PORT[,HOST:PORT...] but got '" + bootstrap + "'");
        }
        return bootstrap;
    }

    private static Options options(ParsedArgs args) throws UsageException {
        String bootstrap = bootstrap(args);
        args.atMostOne(IMAGES, VIDEO, GENERATOR);
        if (!args.has(IMAGES) && !args.has(VIDEO) && !args.has(GENERATOR)) {
            throw args.error("give --images DIR, --video FILE or --generator");
        }
        for (String o : new String[] {PNG, FRAME_SIZE, SEED, SCENE}) {
            args.requires(o, GENERATOR);
        }
        if (args.has(LOOP) && args.has(GENERATOR)) {
            throw args.error(LOOP, "the generator is endless; --loop is for --images and --video");
        }
        String topic = args.string(TOPIC, WireFormat.DEFAULT_FRAMES_TOPIC);
        double fps = args.number(FPS, 10, v -> v >= 0, "a number >= 0");
        int streams = args.positiveInt(STREAMS, 1);
        String prefix = args.string(PREFIX, "cam-");
        OptionalInt count = args.positiveInt(COUNT);
        double seconds = args.number(SECONDS, 0, v -> v > 0, "a number > 0");
        int partitions = args.positiveInt(PARTITIONS, 1);
        FramePublisher.Settings settings = new FramePublisher.Settings(
                topic,
                streams,
                fps,
                prefix,
                count.isPresent() ? count.getAsInt() : -1,
                args.has(SECONDS) ? Duration.ofMillis((long) (seconds * 1000)) : null);
        return new Options(bootstrap, settings, partitions);
    }

    /** The frames of {@code --images}, {@code --video} or {@code --generator}, opened. */
    private static Source source(ParsedArgs args, FramePublisher.Settings settings)
            throws UsageException, CommandFailedException {
        try {
            if (args.has(IMAGES)) {
                Path dir = args.path(IMAGES).orElseThrow();
                ImageFolderFrames images = ImageFolderFrames.open(dir, args.has(LOOP));
                return new Source(images, images.size() + " images of " + dir, null, 0);
            } else if (args.has(VIDEO)) {
                Path file = args.path(VIDEO).orElseThrow();
                VideoFrames video = VideoFrames.open(file, args.has(LOOP));
                String what = String.format(
                        Locale.ROOT,
                        "video %s (%s, %s)",
                        file,
                        video.codec(),
                        video.frameRate() > 0
                                ? String.format(Locale.ROOT, "%.3g fps", video.frameRate())
                                : "frame rate unknown");
                return new Source(video, what, video, video.frameRate());
            } else {
                SceneConfig config = SceneConfig.defaults();
                OptionalInt px = args.positiveInt(FRAME_SIZE);
                if (px.isPresent()) {
                    try {
                        config = config.withSize(px.getAsInt(), px.getAsInt());
                    } catch (IllegalArgumentException e) {
                        throw args.error(FRAME_SIZE, e.getMessage());
                    }
                }
                config = DataOptions.scene(args, config);
                GeneratedFrames generated =
                        new GeneratedFrames(config, args.longValue(SEED).orElse(0), settings, args.has(PNG));
                return new Source(generated, generated.describe(), null, 0);
            }
        } catch (IOException e) {
            throw new CommandFailedException(e.getMessage(), e);
        }
    }

    /** Waits for the broker and creates the topic when it is missing; closes {@code resource} on failure. */
    private static void ensureTopic(
            String bootstrap, String topic, int partitions, AutoCloseable resource, PrintStream err)
            throws CommandFailedException {
        try (KafkaTopics topics = KafkaTopics.connect(bootstrap)) {
            topics.awaitBroker(Duration.ofSeconds(30));
            if (!topics.ensure(Map.of(topic, partitions)).isEmpty()) {
                err.printf("produce: created topic %s with %d partition(s)%n", topic, partitions);
            }
        } catch (RuntimeException e) {
            closeQuietly(resource);
            throw new CommandFailedException("Kafka at " + bootstrap + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // Nothing useful to do: the frames were sent or the command already failed.
            }
        }
    }
}
