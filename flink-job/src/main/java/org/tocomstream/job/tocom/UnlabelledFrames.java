package org.tocomstream.job.tocom;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.DataOptions;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.kafka.KafkaTopics;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.train.ImageFolderData;
import org.tocomstream.model.train.TrainingData;
import org.tocomstream.stream.DecodeConfig;

/**
 * The unlabelled frames {@code tocom train} and {@code tocom calibrate} read: an image folder, a
 * Kafka topic read once, or the scene generator; the options that choose them and the readers.
 */
public final class UnlabelledFrames {

    private static final String IMAGES = TocomTrainRun.IMAGES;
    private static final String TOPIC = TocomTrainRun.TOPIC;
    private static final String BOOTSTRAP = TocomTrainRun.BOOTSTRAP;

    private UnlabelledFrames() {}

    /**
     * Checks the unlabelled-frame options {@code tocom train} and {@code tocom calibrate} share:
     * exactly one of {@code --images}, {@code --generator} and {@code --topic} (which needs {@code
     * --bootstrap}, and the other way round), {@code generatorOnly} only with {@code --generator}.
     *
     * @return the bootstrap servers, or null without {@code --topic}
     */
    public static String frameSource(ParsedArgs args, String... generatorOnly) throws UsageException {
        args.atMostOne(IMAGES, DataOptions.GENERATOR, TOPIC);
        if (!args.has(IMAGES) && !args.has(DataOptions.GENERATOR) && !args.has(TOPIC)) {
            throw args.error("give --images DIR, --generator or --topic T");
        }
        for (String o : generatorOnly) {
            args.requires(o, DataOptions.GENERATOR);
        }
        args.requires(TOPIC, BOOTSTRAP);
        args.requires(BOOTSTRAP, TOPIC);
        String bootstrap = args.string(BOOTSTRAP).orElse(null);
        if (bootstrap != null && !KafkaTopics.isBootstrapServers(bootstrap)) {
            throw args.error(BOOTSTRAP, "expected HOST:PORT[,HOST:PORT...] but got '" + bootstrap + "'");
        }
        return bootstrap;
    }

    /** Up to {@code max} unlabelled frames read once from {@code topic}; progress to {@code err}. */
    public static KafkaFrameData topic(
            String bootstrap, String topic, int max, ImagePreprocessor pre, PrintStream err, String who)
            throws CommandFailedException {
        KafkaFrameData data;
        try {
            data = KafkaFrameData.read(
                    bootstrap,
                    topic,
                    max,
                    pre,
                    DecodeConfig.defaults(),
                    Duration.ofSeconds(30),
                    line -> err.println(who + ": " + line));
        } catch (RuntimeException e) {
            throw new CommandFailedException(
                    "cannot read --topic " + topic + " at " + bootstrap + ": " + Cli.describe(e), e);
        }
        err.printf(
                Locale.ROOT,
                "%s: read %d frames from topic %s%s%n",
                who,
                data.size(),
                topic,
                data.skipped() == 0
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                " (%d skipped as the job would dead-letter them," + " first: %s)",
                                data.skipped(),
                                data.firstSkipReason()));
        return data;
    }

    /** Every image under {@code dir}, unlabelled. */
    public static TrainingData folder(Path dir, String option, ImagePreprocessor pre) throws CommandFailedException {
        try {
            return ImageFolderData.unlabeled(dir, pre);
        } catch (IOException e) {
            throw new CommandFailedException("cannot read " + option + ": " + Cli.describe(e), e);
        }
    }
}
