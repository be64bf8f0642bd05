package org.tocomstream.job.run;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.tocomstream.compress.CostModel;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.Command;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.ShutdownSignal;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.kafka.EmbeddedKafka;
import org.tocomstream.job.kafka.FramePublisher;
import org.tocomstream.job.kafka.KafkaTopics;
import org.tocomstream.job.pipeline.CompensatorCheck;
import org.tocomstream.job.pipeline.ControlOptions;
import org.tocomstream.job.pipeline.DeadLetterLimit;
import org.tocomstream.job.pipeline.DeliveryCheck;
import org.tocomstream.job.pipeline.DemoOptions;
import org.tocomstream.job.pipeline.EffectiveConfig;
import org.tocomstream.job.pipeline.LadderChoice;
import org.tocomstream.job.pipeline.LevelFitCheck;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.pipeline.StreamPipeline;
import org.tocomstream.job.pipeline.StudentOptions;
import org.tocomstream.job.pipeline.VitLabelStage;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.stream.BacklogBridgeReporterFactory;

/**
 * {@code run}, and what {@code java -jar tocom-stream.jar} does without arguments: the streaming
 * job in this JVM (a local Flink MiniCluster). Without {@code --bootstrap} it also starts an
 * in-process Kafka broker, creates the topics, and feeds the frames topic from synthetic cameras;
 * without {@code --model} it uses the bundled demo model. One status line a second; Ctrl-C stops
 * the cameras, the job and the broker, in that order.
 */
public final class RunCommand implements Command {

    private final OptionParser parser =
            JobArgs.declare(JobArgs.declare(new OptionParser("run"), JobArgs.JOB), JobArgs.DEMO);

    /** Counted down to stop the run as Ctrl-C would; tests use it. */
    private final CountDownLatch stop;

    public RunCommand() {
        this(new CountDownLatch(1));
    }

    public RunCommand(CountDownLatch stop) {
        this.stop = stop;
    }

    @Override
    public String name() {
        return "run";
    }

    @Override
    public String summary() {
        return "run the streaming job here (the default: in-process Kafka, synthetic cameras, demo model)";
    }

    @Override
    public String help() {
        return "usage: run [--bootstrap HOST:PORT] [--model DIR] [OPTIONS]\n"
                + "       java -jar tocom-stream.jar            (the same as 'run' without options)\n\n"
                + "Runs the streaming job (Kafka frames -> decode -> batched ViT -> Kafka labels) in a\n"
                + "local Flink MiniCluster. Without --bootstrap: starts an in-process Kafka broker\n"
                + "(KRaft), creates the topics and publishes synthetic camera frames to them. Without\n"
                + "--model: the bundled demo model. The compression level follows the load (--control\n"
                + "adaptive, the default here) over a ToMe ladder derived from the model. Prints the\n"
                + "effective configuration, then one status\n"
                + "line a second (frames/s in, labels/s out, frame age p50/p99, level, dead letters)\n"
                + "and a sample label every 5 s. Ctrl-C stops everything.\n\n"
                + "options:\n" + parser.optionsHelp();
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        long startNanos = System.nanoTime();
        ParsedArgs args = parser.parseOptions(argv);
        Configuration conf = JobArgs.configuration(args, JobArgs.JOB);
        Configuration demo = JobArgs.configuration(args, JobArgs.DEMO);
        JobArgs.validate(conf, args);
        boolean embedded = conf.get(StreamJobOptions.BOOTSTRAP_SERVERS) == null;
        int streams = demo.getOptional(DemoOptions.STREAMS).orElse(embedded ? DemoOptions.STREAMS.defaultValue() : 0);
        demo.set(DemoOptions.STREAMS, streams);
        JobArgs.validateDemo(demo, args);

        StartedRun started = new StartedRun();
        int result = Cli.OK;
        // The signal is closed (letting a Ctrl-C'd JVM exit) only after the finally block below
        // has stopped everything: try-with-resources would close it before the finally runs.
        ShutdownSignal signal = ShutdownSignal.install(stop::countDown, 60);
        try {
            if (embedded) {
                started.kafka = startKafka(conf, out);
            }
            String bootstrap = conf.get(StreamJobOptions.BOOTSTRAP_SERVERS);
            Map<String, String> clientProperties = conf.get(StreamJobOptions.KAFKA_PROPERTIES);
            prepareTopics(conf, demo, bootstrap, clientProperties, out, err);
            started.model = demoModelUnlessGiven(conf, out, err);
            String ladder = adaptiveByDefault(conf);
            if (started.model != null) {
                ladder = DemoModel.hintForACopy(ladder, started.model.dir());
            }
            printEffectiveConfiguration(conf, demo, out);
            out.println(ladder);

            GeneratedFrames frames = null;
            if (streams > 0) {
                FramePublisher.Settings settings = new FramePublisher.Settings(
                        conf.get(StreamJobOptions.FRAMES_TOPIC), streams, demo.get(DemoOptions.FPS), "cam-", -1, null);
                int px = demo.get(DemoOptions.FRAME_SIZE);
                frames = new GeneratedFrames(
                        SceneConfig.defaults().withSize(px, px), demo.get(DemoOptions.SEED), settings, false);
                started.camera = FramePublisher.create(bootstrap, clientProperties, settings, frames);
            }
            started.job = submit(conf);
            out.printf(
                    Locale.ROOT,
                    "job %s submitted to a local Flink MiniCluster (%.1f s after start)%n",
                    started.job.getJobID(),
                    (System.nanoTime() - startNanos) / 1e9);
            started.status = statusReporter(conf, bootstrap, clientProperties, frames, out, startNanos);
            started.status.start();

            if (started.camera != null) {
                startCameras(started, frames, streams, demo, out, err);
            }
            out.println(
                    demo.get(DemoOptions.RUN_FOR).isZero()
                            ? "running; Ctrl-C stops"
                            : "running for " + demo.get(DemoOptions.RUN_FOR).toSeconds() + " s");

            result = awaitEnd(started.job, demo.get(DemoOptions.RUN_FOR), err);
            if (signal.signalled()) {
                out.println("stopping (signal) ...");
            }
        } catch (CommandFailedException e) {
            throw e;
        } catch (Exception e) {
            throw new CommandFailedException(Cli.describe(e), e);
        } finally {
            started.stopAll(out, startNanos);
            signal.close();
        }
        return result;
    }

    /** Starts the in-process broker and points {@code conf} at it. */
    private static EmbeddedKafka startKafka(Configuration conf, PrintStream out) throws Exception {
        out.println("starting Kafka (in-process KRaft broker) ...");
        EmbeddedKafka kafka = EmbeddedKafka.start(Map.of());
        conf.set(StreamJobOptions.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        out.println("Kafka at " + kafka.bootstrapServers());
        return kafka;
    }

    /**
     * Waits for the broker, creates the topics that are missing, checks the delivery settings
     * against the broker and sizes the dead-letter sink to the dead-letter topic; a warning goes to
     * {@code err}, an error fails the run.
     */
    private static void prepareTopics(
            Configuration conf,
            Configuration demo,
            String bootstrap,
            Map<String, String> clientProperties,
            PrintStream out,
            PrintStream err)
            throws Exception {
        try (KafkaTopics topics = KafkaTopics.connect(bootstrap, clientProperties)) {
            topics.awaitBroker(Duration.ofSeconds(30));
            Map<String, Integer> wanted = new LinkedHashMap<>();
            for (ConfigOption<String> t : List.of(
                    StreamJobOptions.FRAMES_TOPIC, StreamJobOptions.LABELS_TOPIC, StreamJobOptions.DEAD_LETTER_TOPIC)) {
                wanted.put(conf.get(t), demo.get(DemoOptions.PARTITIONS));
            }
            List<String> created = topics.ensure(wanted);
            if (!created.isEmpty()) {
                out.println("created topics " + String.join(", ", created));
            }
            DeliveryCheck.Result check = DeliveryCheck.check(conf, topics);
            check.warning().ifPresent(w -> err.println("run: warning: " + w));
            if (check.error().isPresent()) {
                throw new CommandFailedException(JobArgs.withFlags(check.error().get()));
            }
            DeadLetterLimit.Result limit = DeadLetterLimit.check(conf, topics);
            limit.warning().ifPresent(w -> err.println("run: warning: " + w));
            if (limit.error().isPresent()) {
                throw new CommandFailedException(limit.error().get());
            }
            limit.applyTo(conf);
            out.println(limit.line());
        }
    }

    /** Without {@code --model}, the bundled demo model, set into {@code conf}; otherwise null. */
    private static DemoModel.Resolved demoModelUnlessGiven(Configuration conf, PrintStream out, PrintStream err)
            throws IOException {
        if (conf.get(StreamJobOptions.MODEL_DIR) != null) {
            return null;
        }
        DemoModel.Resolved model = DemoModel.resolve();
        conf.set(StreamJobOptions.MODEL_DIR, model.dir().toString());
        out.println("model: " + model.description());
        if (model.randomWeights()) {
            err.println("run: warning: random weights, so the labels are meaningless");
        }
        return model;
    }

    /** The effective configuration: the job's settings, the demo's, then the compensator's line. */
    private static void printEffectiveConfiguration(Configuration conf, Configuration demo, PrintStream out)
            throws CommandFailedException {
        try {
            LevelFitCheck.require(conf);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new CommandFailedException(JobArgs.withFlags(e.getMessage()), e);
        }
        String plugin;
        try {
            plugin = CompensatorCheck.describe(conf);
        } catch (IOException e) {
            throw new CommandFailedException(
                    JobArgs.withFlags(StreamJobOptions.COMPENSATOR.key() + ": " + Cli.describe(e)), e);
        }
        out.print(EffectiveConfig.describe(conf, StreamJobOptions.all()));
        out.print(EffectiveConfig.describe(demo, DemoOptions.all()).replace("effective configuration:\n", ""));
        out.println(plugin);
    }

    /** The pipeline, built on a local MiniCluster and submitted without waiting for its end. */
    private static JobClient submit(Configuration conf) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(localFlinkConfig());
        StreamPipeline.of(conf, new VitLabelStage()).build(env);
        return env.executeAsync(conf.get(StreamJobOptions.JOB_NAME));
    }

    /** The status line's reporter over the job's topics; with our synthetic frames it knows each frame's true class. */
    private static StatusReporter statusReporter(
            Configuration conf,
            String bootstrap,
            Map<String, String> clientProperties,
            GeneratedFrames frames,
            PrintStream out,
            long startNanos) {
        return new StatusReporter(
                bootstrap,
                clientProperties,
                conf.get(StreamJobOptions.FRAMES_TOPIC),
                conf.get(StreamJobOptions.LABELS_TOPIC),
                conf.get(StreamJobOptions.DEAD_LETTER_TOPIC),
                out,
                frames == null ? null : frames::labelAt,
                startNanos);
    }

    /** Starts the synthetic cameras' thread and says what they publish. */
    private static void startCameras(
            StartedRun started,
            GeneratedFrames frames,
            int streams,
            Configuration demo,
            PrintStream out,
            PrintStream err) {
        started.cameraThread = camerasThread(started.camera, err);
        started.cameraThread.start();
        out.printf(
                Locale.ROOT,
                "synthetic cameras: %d stream(s) x %.3g fps (%s)%n",
                streams,
                demo.get(DemoOptions.FPS),
                frames.describe());
    }

    /** The daemon thread that runs the synthetic cameras until they are stopped. */
    private static Thread camerasThread(FramePublisher camera, PrintStream err) {
        Thread cameraThread = new Thread(
                () -> {
                    try {
                        camera.run();
                    } catch (Exception e) {
                        err.println("run: synthetic cameras stopped: " + Cli.describe(e));
                    }
                },
                "tocom-stream-cameras");
        cameraThread.setDaemon(true);
        return cameraThread;
    }

    /**
     * The local run steers the compression level by load unless told otherwise: the adaptive
     * policy, over the ladder {@link LadderChoice} resolves (the model's measured {@code
     * ladder.json}, else the ladder derived from the model: none;tome:2;tome:4;tome:6 for the demo
     * model), written into the configuration so the effective-config print shows it.
     *
     * @return two lines: which ladder and where it came from; how much overload it absorbs end to
     *     end and what happens beyond it ({@link LadderChoice#overload(
     *     org.apache.flink.configuration.ReadableConfig, CostModel)})
     * @throws CommandFailedException when the model's ladder.json cannot be used
     */
    static String adaptiveByDefault(Configuration conf) throws IOException, CommandFailedException {
        if (conf.getOptional(ControlOptions.POLICY).isEmpty()) {
            conf.set(ControlOptions.POLICY, ControlOptions.Policy.ADAPTIVE);
        }
        ModelSpec spec = ModelSpec.read(Path.of(conf.get(StreamJobOptions.MODEL_DIR)));
        String line;
        try {
            // Both before the ladder is written into conf: the source (measured or not) decides the figure.
            CostModel cost = StudentOptions.cost(conf, spec);
            line = LadderChoice.describe(conf, cost) + "\n" + LadderChoice.overload(conf, cost);
            if (conf.get(ControlOptions.POLICY) == ControlOptions.Policy.ADAPTIVE
                    && conf.getOptional(ControlOptions.LADDER).isEmpty()) {
                conf.set(
                        ControlOptions.LADDER, ControlOptions.ladder(conf, cost).toString());
            }
        } catch (IllegalArgumentException e) {
            throw new CommandFailedException(JobArgs.withFlags(e.getMessage()), e);
        }
        return line;
    }

    /** Waits for Ctrl-C, the run time, or the job's end; returns the exit status. */
    private int awaitEnd(JobClient job, Duration runFor, PrintStream err) throws CommandFailedException {
        long deadline = runFor.isZero() ? Long.MAX_VALUE : System.nanoTime() + runFor.toNanos();
        var result = job.getJobExecutionResult();
        while (System.nanoTime() < deadline) {
            try {
                if (stop.await(200, TimeUnit.MILLISECONDS)) {
                    return Cli.OK;
                }
                result.get(1, TimeUnit.MILLISECONDS);
                return Cli.OK; // bounded job finished
            } catch (TimeoutException e) {
                // still running
            } catch (ExecutionException e) {
                Throwable cause = rootCause(e);
                throw new CommandFailedException("the job failed: " + Cli.describe(cause), cause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Cli.FAILED;
            }
        }
        return Cli.OK;
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    /** Key that enables the backlog bridge reporter, under the reporter name "backlog". */
    static final String BACKLOG_REPORTER_KEY = "metrics.reporter.backlog.factory.class";

    /**
     * Flink settings of the local MiniCluster: a bounded restart strategy, so that a job that
     * cannot run (e.g. a bad model) fails the command instead of restarting forever; and the
     * backlog bridge reporter, which hands the Kafka source's pendingRecords to the load
     * controller (it runs in this JVM, so no class-loading set-up is needed).
     */
    public static Configuration localFlinkConfig() {
        Configuration c = new Configuration();
        c.set(
                ConfigOptions.key(BACKLOG_REPORTER_KEY).stringType().noDefaultValue(),
                BacklogBridgeReporterFactory.FACTORY_CLASS);
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
        return c;
    }
}
