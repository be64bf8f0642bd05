package org.tocomstream.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.kafka.KafkaTopics;
import org.tocomstream.job.pipeline.CompensatorCheck;
import org.tocomstream.job.pipeline.DeadLetterLimit;
import org.tocomstream.job.pipeline.DeliveryCheck;
import org.tocomstream.job.pipeline.EffectiveConfig;
import org.tocomstream.job.pipeline.LadderChoice;
import org.tocomstream.job.pipeline.LevelFitCheck;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.pipeline.StreamPipeline;
import org.tocomstream.job.pipeline.VitLabelStage;
import org.tocomstream.job.run.JobArgs;

/**
 * The streaming job as a Flink application: the entry class to submit to a cluster.
 *
 * <pre>
 * flink run -c org.tocomstream.job.StreamJob tocom-stream.jar \
 *     --bootstrap kafka:9092 --model /models/vit_demo [--frames-topic frames] [--labels-topic labels]
 *     [--dead-letter-topic frames-dead-letter] [--delivery exactly-once] [--max-batch 16] ...
 * </pre>
 *
 * <p>Takes the same job flags as {@code run} ({@code StreamJob --help} lists them); {@code
 * --bootstrap} and {@code --model} are required, and the model directory must be readable at that
 * path where the job is submitted (its {@code model.json} gives the preprocessing) and on every
 * TaskManager (weights, and the Token Compensator plugin if any). Refuses a compression level that
 * does not fit the model ({@code LevelFitCheck}), then prints the effective
 * configuration with the ladder ({@code LadderChoice}) and the plugin it applies (a plugin made for other weights stops here), checks the exactly-once timeout
 * against the broker, sizes the dead-letter sink to what the dead-letter topic accepts ({@code
 * DeadLetterLimit}), then {@code execute}s. It never calls {@code System.exit} (that would stop
 * the JobManager under REST submission): bad arguments throw {@link IllegalArgumentException}
 * with the one-line message. Topics are not created here.
 */
public final class StreamJob {

    private static final Logger LOG = LoggerFactory.getLogger(StreamJob.class);

    private StreamJob() {}

    public static void main(String[] args) throws Exception {
        OptionParser parser = JobArgs.declare(new OptionParser("StreamJob"), JobArgs.JOB);
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            System.out.print("usage: StreamJob --bootstrap HOST:PORT --model DIR [OPTIONS]\n\noptions:\n"
                    + parser.optionsHelp());
            return;
        }
        Configuration conf;
        try {
            ParsedArgs parsed = parser.parseOptions(args, "--bootstrap", "--model");
            conf = JobArgs.configuration(parsed, JobArgs.JOB);
            JobArgs.validate(conf, parsed);
        } catch (UsageException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        try {
            LevelFitCheck.require(conf);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new IllegalArgumentException(JobArgs.withFlags(e.getMessage()), e);
        }
        String plugin;
        try {
            plugin = CompensatorCheck.describe(conf);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    JobArgs.withFlags(StreamJobOptions.COMPENSATOR.key() + ": " + Cli.describe(e)), e);
        }
        String ladder;
        try {
            ladder = LadderChoice.describe(conf, LadderChoice.costOf(conf)) + "\n"
                    + LadderChoice.overload(conf, LadderChoice.costOf(conf));
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new IllegalArgumentException(JobArgs.withFlags(e.getMessage()), e);
        }
        String table = EffectiveConfig.describe(conf, StreamJobOptions.all()) + ladder + "\n" + plugin + "\n";
        System.out.print(table);
        LOG.info("{}", table);
        try (KafkaTopics topics = KafkaTopics.connect(
                conf.get(StreamJobOptions.BOOTSTRAP_SERVERS), conf.get(StreamJobOptions.KAFKA_PROPERTIES))) {
            DeliveryCheck.Result check = DeliveryCheck.check(conf, topics);
            check.warning().ifPresent(w -> LOG.warn("{}", w));
            if (check.error().isPresent()) {
                throw new IllegalArgumentException(check.error().get());
            }
            DeadLetterLimit.Result limit = DeadLetterLimit.check(conf, topics);
            limit.warning().ifPresent(w -> LOG.warn("{}", w));
            if (limit.error().isPresent()) {
                throw new IllegalArgumentException(limit.error().get());
            }
            limit.applyTo(conf);
            System.out.println(limit.line());
            LOG.info("{}", limit.line());
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StreamPipeline.of(conf, new VitLabelStage()).build(env);
        env.execute(conf.get(StreamJobOptions.JOB_NAME));
    }
}
