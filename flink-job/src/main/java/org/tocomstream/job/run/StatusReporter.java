package org.tocomstream.job.run;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.BiFunction;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.kafka.KafkaTopics;
import org.tocomstream.stream.LabelRecord;

/**
 * The status line of the local run, once a second, measured from Kafka the way a downstream reader
 * sees the job: frames/s written to the frames topic (end offsets), labels/s read back from the
 * labels topic ({@code read_committed}, so under exactly-once only committed labels count), frame
 * age p50/p99 at the moment the label was read (now − capture time: decode, queueing, inference,
 * sink and, under exactly-once, the wait for the checkpoint), the compression level of the latest
 * label, and dead letters. Every few seconds one sample label, with the true class when the frames
 * come from the scene generator. The totals ({@link #frames}, {@link #labels}, {@link
 * #deadLetters}) count from {@link #start}, which the run calls before its cameras start, and are
 * final after {@link #close}, which the run calls once cameras and job have stopped: a run that
 * drains reports no more labels than frames.
 *
 * <pre>
 * [  14 s] in 40.0 frames/s | out 39.0 labels/s | age p50 95 ms p99 180 ms | level none | dead letters 0
 *          sample cam-3 #121: red_circle 0.97, blue_square 0.01 (true red_circle; top-1 so far 96.0%)
 *          sample cam-1 #140: red_circle 0.95, blue_square 0.02 [tome:4 + tocom 0->4] (true red_circle; ...)
 *          sample cam-2 #141: red_circle 0.95, blue_square 0.02 [reused, 16 patch tokens recomputed] (...)
 * </pre>
 */
public final class StatusReporter implements AutoCloseable {

    private static final int SAMPLE_EVERY_SECONDS = 5;

    /** Longest {@link #close} waits for the labels already written to be read. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(5);

    private final String bootstrap;
    private final Map<String, String> clientProperties;
    private final String framesTopic;
    private final String labelsTopic;
    private final String deadLetterTopic;
    private final PrintStream out;
    private final BiFunction<String, Long, String> truth;
    private final Thread thread;
    private final long startNanos;
    private final List<TopicPartition> outputs = new ArrayList<>();
    private volatile boolean stopped;
    private KafkaConsumer<byte[], byte[]> consumer;
    private KafkaTopics topics;
    private long framesAtStart;

    private volatile long labelsTotal;
    private volatile long deadLettersTotal;
    private volatile long framesTotal;
    private long correct;
    private long judged;

    // The current second's measurements, on the status thread.
    private final List<Long> ages = new ArrayList<>();
    private long labelsInSecond;
    private String level = "-";
    private LabelRecord sample;

    /**
     * @param clientProperties extra Kafka client properties ({@code kafka.properties})
     * @param truth the true class name of (stream, seq), or null when unknown
     * @param startNanos {@link System#nanoTime()} at the start of the run, for elapsed times
     */
    StatusReporter(
            String bootstrap,
            Map<String, String> clientProperties,
            String framesTopic,
            String labelsTopic,
            String deadLetterTopic,
            PrintStream out,
            BiFunction<String, Long, String> truth,
            long startNanos) {
        this.bootstrap = bootstrap;
        this.clientProperties = Map.copyOf(clientProperties);
        this.framesTopic = framesTopic;
        this.labelsTopic = labelsTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.out = out;
        this.truth = truth;
        this.startNanos = startNanos;
        this.thread = new Thread(this::loop, "tocom-stream-status");
        this.thread.setDaemon(true);
    }

    /**
     * Positions the reader at the current end of the labels and dead-letter topics and notes the
     * end of the frames topic before it returns, so that every frame and label written from then
     * on counts; then starts the status line. Call it before the cameras start.
     */
    void start() {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "tocom-stream-status-" + UUID.randomUUID());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        try {
            consumer = new KafkaConsumer<>(p);
            topics = KafkaTopics.connect(bootstrap, clientProperties);
            for (String t : List.of(labelsTopic, deadLetterTopic)) {
                consumer.partitionsFor(t).forEach(i -> outputs.add(new TopicPartition(t, i.partition())));
            }
            consumer.assign(outputs);
            consumer.seekToEnd(outputs);
            outputs.forEach(consumer::position);
            framesAtStart = topics.endOffsetSum(framesTopic);
        } catch (RuntimeException e) {
            out.println("status: cannot read Kafka: " + Cli.describe(e));
            closeClients();
            return;
        }
        // The thread owns the clients from here on.
        thread.start();
    }

    long labels() {
        return labelsTotal;
    }

    long deadLetters() {
        return deadLettersTotal;
    }

    /** Frames written to the frames topic since {@link #start}; final once {@link #close} returns. */
    long frames() {
        return framesTotal;
    }

    private void loop() {
        try {
            long lastFrames = framesAtStart;
            long nextReport = System.nanoTime() + 1_000_000_000L;
            int second = 0;
            while (!stopped) {
                poll();
                if (System.nanoTime() >= nextReport) {
                    long frames = topics.endOffsetSum(framesTopic);
                    framesTotal = frames - framesAtStart;
                    second++;
                    out.println(line(frames - lastFrames));
                    if (sample != null && second % SAMPLE_EVERY_SECONDS == 0) {
                        out.println(sampleLine(sample));
                    }
                    lastFrames = frames;
                    labelsInSecond = 0;
                    ages.clear();
                    nextReport += 1_000_000_000L;
                }
            }
            // The run has stopped its cameras and its job: count what they wrote up to the end.
            drain();
            framesTotal = topics.endOffsetSum(framesTopic) - framesAtStart;
        } catch (WakeupException e) {
            // close() gave up waiting for the drain.
        } catch (RuntimeException e) {
            if (!stopped) {
                out.println("status: stopped reading Kafka: " + Cli.describe(e));
            }
        } finally {
            closeClients();
        }
    }

    /** Reads the labels and dead letters written so far (committed ones, under exactly-once). */
    private void drain() {
        Map<TopicPartition, Long> end = consumer.endOffsets(outputs);
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline
                && end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            poll();
        }
    }

    private void poll() {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            if (r.topic().equals(deadLetterTopic)) {
                deadLettersTotal++;
                continue;
            }
            LabelRecord label;
            try {
                label = LabelRecord.fromJson(r.value());
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (labelsTotal == 0) {
                out.printf(Locale.ROOT, "first label %.1f s after start%n", (System.nanoTime() - startNanos) / 1e9);
            }
            labelsTotal++;
            labelsInSecond++;
            ages.add(System.currentTimeMillis() - label.captureTs());
            level = label.level().schedule();
            sample = label;
            judge(label);
        }
    }

    private void judge(LabelRecord label) {
        if (truth == null || label.labels().isEmpty()) {
            return;
        }
        String t = truth.apply(label.stream(), label.seq());
        if (t != null) {
            judged++;
            if (t.equals(label.labels().get(0).label())) {
                correct++;
            }
        }
    }

    /** The status line of the second that ends now, {@code frames} written in it. */
    private String line(long frames) {
        long elapsed = (System.nanoTime() - startNanos) / 1_000_000_000L;
        String age;
        if (ages.isEmpty()) {
            age = "age -";
        } else {
            Collections.sort(ages);
            age = String.format(Locale.ROOT, "age p50 %d ms p99 %d ms", percentile(ages, 0.50), percentile(ages, 0.99));
        }
        return String.format(
                Locale.ROOT,
                "[%4d s] in %5.1f frames/s | out %5.1f labels/s | %s | level %s | dead letters %d",
                elapsed,
                (double) frames,
                (double) labelsInSecond,
                age,
                level,
                deadLettersTotal);
    }

    private String sampleLine(LabelRecord s) {
        StringBuilder sb =
                new StringBuilder(String.format(Locale.ROOT, "         sample %s #%d:", s.stream(), s.seq()));
        int n = Math.min(3, s.labels().size());
        for (int i = 0; i < n; i++) {
            LabelRecord.Label l = s.labels().get(i);
            sb.append(i == 0 ? " " : ", ").append(l.label()).append(String.format(Locale.ROOT, " %.2f", l.score()));
        }
        if (s.level().compensator() != null) {
            sb.append(" [")
                    .append(s.level().schedule())
                    .append(" + tocom ")
                    .append(s.level().compensator())
                    .append(']');
        }
        if (s.reuse() != null) {
            sb.append(
                    s.reuse().reused()
                            ? String.format(
                                    Locale.ROOT,
                                    " [reused, %d patch tokens recomputed]",
                                    s.reuse().recomputed())
                            : " [computed in full]");
        }
        String t = truth == null ? null : truth.apply(s.stream(), s.seq());
        if (t != null && judged > 0) {
            sb.append(String.format(
                    Locale.ROOT, " (true %s; top-1 so far %.1f%% of %d)", t, 100.0 * correct / judged, judged));
        }
        return sb.toString();
    }

    /** Nearest-rank percentile of sorted values. */
    public static long percentile(List<Long> sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    /**
     * Stops the status line after a last read of what was written until now (at most {@link
     * #DRAIN_TIMEOUT}), which makes the counts final.
     */
    @Override
    public void close() {
        stopped = true;
        try {
            thread.join(DRAIN_TIMEOUT.toMillis() + 5_000);
            if (thread.isAlive()) {
                consumer.wakeup();
                thread.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeClients() {
        if (consumer != null) {
            consumer.close();
        }
        if (topics != null) {
            topics.close();
        }
    }
}
