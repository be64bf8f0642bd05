package org.tocomstream.job;

import ai.djl.Device;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.tocomstream.compress.CompressionLevel;
import org.tocomstream.data.SceneConfig;
import org.tocomstream.job.kafka.EmbeddedKafka;
import org.tocomstream.job.kafka.FramePublisher;
import org.tocomstream.job.kafka.KafkaTopics;
import org.tocomstream.job.pipeline.StreamJobOptions;
import org.tocomstream.job.pipeline.StreamPipeline;
import org.tocomstream.job.pipeline.VitLabelStage;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.ModelSpec;
import org.tocomstream.model.VitConfig;
import org.tocomstream.model.VitModel;
import org.tocomstream.stream.LabelRecord;

/**
 * {@code bench-pipeline}: the streaming job's throughput against the bare engine's, and frame age
 * under load, on this machine with an in-process broker.
 *
 * <ol>
 *   <li>Bare engine: {@code VitModel.logits} on batches of {@code --batch} preprocessed frames at
 *       {@code --level} (the call the inference operator makes), images/s; measured before and
 *       again after the job's run, and the job compared with their mean.
 *   <li>Pipeline capacity: {@code --frames} JPEG frames written to a topic first, then the whole
 *       job (Kafka source, decode, batching inference, Kafka sink; parallelism 1, the same model,
 *       level and max batch size) reads them as a bounded job; labels/s between the labels
 *       written at 10 % and at 100 % of the frames (record timestamps), so start-up is excluded.
 *   <li>Age under load: the job runs unbounded while synthetic cameras publish at each of {@code
 *       --loads} times the measured capacity for {@code --seconds}; frame age (read time minus
 *       capture time, at a {@code read_committed} reader) p50/p99 over the labels of frames
 *       captured after the first quarter of the phase.
 * </ol>
 */
final class PipelineBenchCommand implements Command {

    /** Pre-encoded frames the load runs cycle through. */
    private static final int POOL = 256;

    private final OptionParser parser =
            new OptionParser("bench-pipeline")
                    .value("--model", "DIR", "model directory (default: vit_demo with random weights)")
                    .value("--preset", "NAME", "instead of --model: this architecture with random weights")
                    .value("--frame-size", "PX", "side of the JPEG camera frames (default: the model's input size)")
                    .value("--level", "LEVEL", "compression level (default none)")
                    .value("--batch", "N", "batch size of the engine and the job's max batch size (default 8)")
                    .value("--max-delay-ms", "MS", "the job's max batch delay (default 50)")
                    .value("--frames", "N", "frames of the capacity run (default 2000)")
                    .value("--streams", "N", "camera streams (default 4)")
                    .value("--loads", "LIST", "loads for the age runs, fractions of capacity (default 0.5,0.9)")
                    .value("--seconds", "S", "length of each load run (default 20)")
                    .value("--json", "FILE", "also write the results as JSON");

    @Override
    public String name() {
        return "bench-pipeline";
    }

    @Override
    public String summary() {
        return "job throughput vs the bare engine, frame age at 50 % / 90 % load (in-process Kafka)";
    }

    @Override
    public String help() {
        return "usage: bench-pipeline [--model DIR] [--level L] [--batch N] [--frames N] [--loads 0.5,0.9]\n\n"
                + "Measures, on this machine: the bare engine's images/s at batch N and level L; the\n"
                + "whole job's labels/s over a pre-filled frames topic (in-process Kafka, parallelism 1,\n"
                + "same model, level, max batch size) and its ratio to the engine; then frame age\n"
                + "p50/p99 with cameras at each load (fraction of the measured capacity; frames\n"
                + "pre-encoded, so the cameras cost only the Kafka send).\n\n"
                + "options:\n" + parser.optionsHelp();
    }

    @Override
    public int run(String[] argv, PrintStream out, PrintStream err) throws UsageException, CommandFailedException {
        ParsedArgs args = parser.parse(argv);
        if (!args.positionals().isEmpty()) {
            throw args.error("unexpected argument '" + args.positionals().get(0) + "'");
        }
        String levelText = args.string("--level", "none");
        try {
            CompressionLevel.parse(levelText);
        } catch (IllegalArgumentException e) {
            throw args.error("--level", e.getMessage());
        }
        args.atMostOne("--model", "--preset");
        int batch = args.positiveInt("--batch", 8);
        int maxDelayMs = args.positiveInt("--max-delay-ms", 50);
        int frames = args.positiveInt("--frames", 2000);
        int streams = args.positiveInt("--streams", 4);
        double seconds = args.number("--seconds", 20, v -> v >= 4, "a number >= 4");
        List<Double> loads = new ArrayList<>();
        for (String l : args.has("--loads") ? args.list("--loads") : List.of("0.5", "0.9")) {
            try {
                double v = Double.parseDouble(l);
                if (!(v > 0 && v <= 2)) {
                    throw new NumberFormatException();
                }
                loads.add(v);
            } catch (NumberFormatException e) {
                throw args.error("--loads", "expected fractions in (0, 2] but got '" + l + "'");
            }
        }
        if (frames < 10 * batch) {
            throw args.error("--frames", "must be at least 10 x --batch");
        }

        Map<String, Object> report = new LinkedHashMap<>();
        DemoModel.Resolved generated = null;
        try {
            Path modelDir;
            if (args.has("--model")) {
                modelDir = args.path("--model").orElseThrow();
            } else if (args.has("--preset")) {
                String preset = args.string("--preset").orElseThrow();
                if (!VitConfig.presetNames().contains(preset)) {
                    throw args.error("--preset", "unknown preset '" + preset + "'; known: "
                            + String.join(", ", VitConfig.presetNames()));
                }
                Path dir = Files.createTempDirectory("tocom-stream-bench-model-");
                DemoModel.writeRandom(dir, preset, 0);
                generated = new DemoModel.Resolved(dir, preset + " with random weights", true, true);
                modelDir = dir;
            } else {
                generated = DemoModel.resolve();
                modelDir = generated.dir();
            }
            ModelSpec spec = ModelSpec.read(modelDir);
            report.put("machine", machine());
            report.put("model", spec.architecture().name() + (generated != null && generated.randomWeights() ? " (random weights)" : ""));

            report.put("level", levelText);
            report.put("batch", batch);
            out.printf(Locale.ROOT, "machine: %s%n", machine());
            out.printf(Locale.ROOT, "model %s, level %s, batch %d, frames %d px JPEG%n", report.get("model"), levelText, batch,
                    args.positiveInt("--frame-size", spec.preprocessing().inputSize()));

            int px = args.positiveInt("--frame-size", spec.preprocessing().inputSize());
            SceneConfig sceneConfig;
            try {
                sceneConfig = SceneConfig.defaults().withSize(px, px);
            } catch (IllegalArgumentException e) {
                throw args.error("--frame-size", e.getMessage());
            }
            report.put("frameSize", px);
            FramePublisher.Settings fill = new FramePublisher.Settings("bench-frames", streams, 0, "cam-", frames / streams, null);
            GeneratedFrames scenes = new GeneratedFrames(sceneConfig, 0, fill, false);

            double engine = engineImagesPerSecond(modelDir, spec, scenes, batch, CompressionLevel.parse(levelText));
            out.printf(Locale.ROOT, "bare engine: %.1f images/s (%.1f ms per batch)%n", engine, batch * 1000 / engine);
            report.put("engineImagesPerSecond", engine);

            try (EmbeddedKafka kafka = EmbeddedKafka.start(Map.of())) {
                String bs = kafka.bootstrapServers();
                try (KafkaTopics topics = KafkaTopics.connect(bs)) {
                    topics.ensure(Map.of("bench-frames", 2, "bench-labels", 2, "bench-dlq", 1,
                            "live-frames", 2, "live-labels", 2, "live-dlq", 1));
                }
                try (FramePublisher p = FramePublisher.create(bs, fill, scenes)) {
                    p.run();
                }
                Configuration conf = jobConf(bs, modelDir, levelText, batch, maxDelayMs, "bench");
                conf.set(StreamJobOptions.BOUNDED, true);
                conf.set(StreamJobOptions.STARTING_OFFSETS, StreamJobOptions.StartingOffsets.EARLIEST);
                StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(RunCommand.localFlinkConfig());
                StreamPipeline.of(conf, new VitLabelStage()).build(env);
                env.execute("bench-capacity");
                List<ConsumerRecord<byte[], byte[]>> labels = readAll(bs, "bench-labels", frames, Duration.ofSeconds(60));
                labels.sort(Comparator.comparingLong(ConsumerRecord::timestamp));
                int from = labels.size() / 10;
                long spanMs = Math.max(1, labels.get(labels.size() - 1).timestamp() - labels.get(from).timestamp());
                double capacity = (labels.size() - 1 - from) * 1000.0 / spanMs;
                // Over the labels after the first one of the window: frame-weighted mean batch size,
                // forward-pass time per frame, and the share of the window the model was running.
                double batchSizeSum = 0;
                double inferenceMsPerFrameSum = 0;
                for (ConsumerRecord<byte[], byte[]> r : labels.subList(from + 1, labels.size())) {
                    LabelRecord l = LabelRecord.fromJson(r.value());
                    batchSizeSum += l.batchSize();
                    inferenceMsPerFrameSum += l.inferenceMs() / l.batchSize();
                }
                int counted = labels.size() - from - 1;
                double meanBatch = batchSizeSum / counted;
                double busy = inferenceMsPerFrameSum / spanMs;
                // The engine again, right after: on a shared machine the two runs bracket the job's.
                double engineAfter = engineImagesPerSecond(modelDir, spec, scenes, batch, CompressionLevel.parse(levelText));
                out.printf(Locale.ROOT, "bare engine again: %.1f images/s (%.1f ms per batch)%n", engineAfter, batch * 1000 / engineAfter);
                report.put("engineImagesPerSecondAfter", engineAfter);
                engine = (engine + engineAfter) / 2;
                report.put("engineImagesPerSecondMean", engine);
                out.printf(Locale.ROOT, "pipeline: %.1f labels/s (%d labels; %.0f %% of the bare engine's mean);"
                                + " mean batch %.1f, forward pass %.1f ms per batch in the job, model busy %.0f %% of the time%n",
                        capacity, labels.size(), 100 * capacity / engine, meanBatch,
                        inferenceMsPerFrameSum / counted * meanBatch, 100 * busy);
                report.put("pipelineLabelsPerSecond", capacity);
                report.put("pipelineOverEngine", capacity / engine);
                report.put("pipelineMeanBatch", meanBatch);
                report.put("pipelineForwardMsPerBatch", inferenceMsPerFrameSum / counted * meanBatch);
                report.put("pipelineModelBusy", busy);
                report.put("engineMsPerBatchMean", batch * 1000 / engine);

                List<Map<String, Object>> ageRuns = ageUnderLoad(bs, modelDir, levelText, batch, maxDelayMs,
                        streams, capacity, loads, seconds, sceneConfig, out);
                report.put("ageUnderLoad", ageRuns);
            }
            if (args.has("--json")) {
                Path json = args.path("--json").orElseThrow();
                Files.writeString(json, new GsonBuilder().setPrettyPrinting().create().toJson(report) + "\n", StandardCharsets.UTF_8);
                out.println("wrote " + json);
            }
        } catch (CommandFailedException | UsageException e) {
            throw e;
        } catch (Exception e) {
            throw new CommandFailedException(Main.describe(e), e);
        } finally {
            if (generated != null) {
                DemoModel.delete(generated.dir());
            }
        }
        return Main.OK;
    }

    /** {@code logits} on one fixed batch, 3 s warm-up, then batches for at least 10 s. */
    private static double engineImagesPerSecond(Path dir, ModelSpec spec, GeneratedFrames scenes, int batch,
            CompressionLevel level) throws Exception {
        ImagePreprocessor pre = new ImagePreprocessor(spec.preprocessing());
        int per = spec.preprocessing().channels() * spec.preprocessing().inputSize() * spec.preprocessing().inputSize();
        float[] pixels = new float[batch * per];
        for (int i = 0; i < batch; i++) {
            float[] one = pre.preprocess(scenes.next(i % 4, i / 4).bytes());
            System.arraycopy(one, 0, pixels, i * per, per);
        }
        long[] shape = {batch, spec.preprocessing().channels(), spec.preprocessing().inputSize(), spec.preprocessing().inputSize()};
        try (VitModel model = VitModel.load(dir, Device.cpu())) {
            long warm = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < warm) {
                model.logits(pixels, shape, level);
            }
            long start = System.nanoTime();
            long n = 0;
            while (System.nanoTime() - start < 10_000_000_000L || n < 20) {
                model.logits(pixels, shape, level);
                n++;
            }
            return n * batch / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static List<Map<String, Object>> ageUnderLoad(String bs, Path modelDir, String level, int batch, int maxDelayMs,
            int streams, double capacity, List<Double> loads, double seconds, SceneConfig scenes, PrintStream out)
            throws Exception {
        Configuration conf = jobConf(bs, modelDir, level, batch, maxDelayMs, "live");
        conf.set(StreamJobOptions.STARTING_OFFSETS, StreamJobOptions.StartingOffsets.LATEST);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(RunCommand.localFlinkConfig());
        StreamPipeline.of(conf, new VitLabelStage()).build(env);
        JobClient job = env.executeAsync("bench-age");
        List<Map<String, Object>> runs = new ArrayList<>();
        LabelAges ages = new LabelAges(bs, "live-labels");
        try {
            ages.start();
            // Warm-up: the job starts, loads the model and reaches the end of the (empty) topic.
            publish(bs, streams, 0.3 * capacity, 8.0, "warmup-", scenes);
            for (double load : loads) {
                double rate = load * capacity;
                long phaseStart = System.currentTimeMillis();
                long measureFrom = phaseStart + (long) (seconds * 250);
                long published = publish(bs, streams, rate, seconds, "load" + (int) Math.round(load * 100) + "-", scenes);
                long phaseEnd = System.currentTimeMillis();
                Thread.sleep(3000);     // let the last frames of the phase come out
                List<Long> read = ages.readAges(measureFrom, phaseEnd);
                List<Long> emit = ages.emitAges(measureFrom, phaseEnd);
                Map<String, Object> run = new LinkedHashMap<>();
                run.put("load", load);
                run.put("framesPerSecond", published / ((phaseEnd - phaseStart) / 1000.0));
                run.put("labels", read.size());
                run.put("ageP50Ms", StatusReporter.percentile(read, 0.50));
                run.put("ageP99Ms", StatusReporter.percentile(read, 0.99));
                run.put("emitAgeP50Ms", StatusReporter.percentile(emit, 0.50));
                run.put("emitAgeP99Ms", StatusReporter.percentile(emit, 0.99));
                runs.add(run);
                out.printf(Locale.ROOT, "load %.0f %% (%.1f frames/s): age p50 %d ms, p99 %d ms (at emit: p50 %d ms, p99 %d ms; %d labels)%n",
                        load * 100, run.get("framesPerSecond"), run.get("ageP50Ms"), run.get("ageP99Ms"),
                        run.get("emitAgeP50Ms"), run.get("emitAgeP99Ms"), read.size());
            }
        } finally {
            ages.close();
            job.cancel().get(30, TimeUnit.SECONDS);
        }
        return runs;
    }

    private static long publish(String bs, int streams, double totalFps, double seconds, String prefix, SceneConfig scenes)
            throws Exception {
        FramePublisher.Settings s = new FramePublisher.Settings("live-frames", streams, totalFps / streams, prefix, -1,
                Duration.ofMillis((long) (seconds * 1000)));
        // Frames are rendered and encoded before the clock starts, so that during the run the
        // cameras cost only the Kafka send, as real cameras would (the capacity run had no
        // cameras at all).
        GeneratedFrames render = new GeneratedFrames(scenes, 1, s, false);
        FramePublisher.Encoded[] pool = new FramePublisher.Encoded[POOL];
        for (int i = 0; i < POOL; i++) {
            pool[i] = render.next(i % streams, i / streams);
        }
        FramePublisher.FrameSupplier cycle = (stream, seq) -> pool[(int) ((seq * streams + stream) % POOL)];
        try (FramePublisher p = FramePublisher.create(bs, s, cycle)) {
            p.run();
            return p.acknowledged();
        }
    }

    private static Configuration jobConf(String bs, Path modelDir, String level, int batch, int maxDelayMs, String prefix) {
        Configuration c = new Configuration();
        c.set(StreamJobOptions.BOOTSTRAP_SERVERS, bs);
        c.set(StreamJobOptions.FRAMES_TOPIC, prefix + "-frames");
        c.set(StreamJobOptions.LABELS_TOPIC, prefix + "-labels");
        c.set(StreamJobOptions.DEAD_LETTER_TOPIC, prefix + "-dlq");
        c.set(StreamJobOptions.GROUP_ID, prefix + "-" + UUID.randomUUID());
        c.set(StreamJobOptions.MODEL_DIR, modelDir.toString());
        c.set(StreamJobOptions.DEVICE, "cpu");
        c.set(StreamJobOptions.LEVEL, level);
        c.set(StreamJobOptions.MAX_BATCH, batch);
        c.set(StreamJobOptions.MAX_DELAY, Duration.ofMillis(maxDelayMs));
        c.set(StreamJobOptions.PARALLELISM, 1);
        return c;
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(String bs, String topic, int expected, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer(bs)) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(topic).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    static KafkaConsumer<byte[], byte[]> consumer(String bs) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bs);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    /** Reads labels as they come, remembering capture time, read age and emit age. */
    private static final class LabelAges implements AutoCloseable {
        private record Sample(long captureTs, long readAge, long emitAge) {}

        private final String bs;
        private final String topic;
        private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
        private final Thread thread;
        private volatile boolean stopped;

        LabelAges(String bs, String topic) {
            this.bs = bs;
            this.topic = topic;
            this.thread = new Thread(this::loop, "bench-label-reader");
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void loop() {
            try (KafkaConsumer<byte[], byte[]> c = consumer(bs)) {
                List<TopicPartition> parts = new ArrayList<>();
                c.partitionsFor(topic).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
                c.assign(parts);
                c.seekToEnd(parts);
                while (!stopped) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                        long now = System.currentTimeMillis();
                        LabelRecord l = LabelRecord.fromJson(r.value());
                        samples.add(new Sample(l.captureTs(), now - l.captureTs(), l.ageMs()));
                    }
                }
            }
        }

        List<Long> readAges(long from, long to) {
            return select(from, to, true);
        }

        List<Long> emitAges(long from, long to) {
            return select(from, to, false);
        }

        private List<Long> select(long from, long to, boolean read) {
            List<Long> out = new ArrayList<>();
            synchronized (samples) {
                for (Sample s : samples) {
                    if (s.captureTs() >= from && s.captureTs() <= to) {
                        out.add(read ? s.readAge() : s.emitAge());
                    }
                }
            }
            Collections.sort(out);
            if (out.isEmpty()) {
                out.add(-1L);
            }
            return out;
        }

        @Override
        public void close() {
            stopped = true;
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String machine() {
        String load = "";
        try {
            load = Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
        } catch (IOException | RuntimeException e) {
            load = "?";
        }
        return Runtime.getRuntime().availableProcessors() + " cores, load average " + load + " at start";
    }
}
