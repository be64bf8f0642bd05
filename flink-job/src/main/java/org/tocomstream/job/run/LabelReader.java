package org.tocomstream.job.run;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.tocomstream.stream.LabelRecord;
import org.tocomstream.stream.WireFormat;

/**
 * Reads the job's outputs as they come, at a {@code read_committed} reader, in a thread of its
 * own: every label record and, when a dead-letter topic is given, every dead letter, with the time
 * it was read. What a downstream reader sees, so ages include the sink.
 */
public final class LabelReader implements AutoCloseable {

    /**
     * One output record.
     *
     * @param stream the frame's stream id (the record key)
     * @param seq the frame's sequence number in its stream (-1 when a dead letter lacks it)
     * @param captureTs capture time, epoch ms (-1 when a dead letter lacks it)
     * @param readTs when this reader got it, epoch ms
     * @param emitAgeMs the label's own age at emission ({@code ageMs}); -1 for a dead letter
     * @param skipped the frame was shed, not labelled
     * @param level the level of its batch (text form), null for a dead letter
     * @param top1 the best label, null when skipped or a dead letter
     * @param deadLetter the record came from the dead-letter topic
     * @param reused at a token-reuse level, whether the frame reused its camera's cache; null
     *     when the label carries no reuse provenance (other levels, skipped, dead letters)
     */
    public record Sample(
            String stream,
            long seq,
            long captureTs,
            long readTs,
            long emitAgeMs,
            boolean skipped,
            String level,
            String top1,
            boolean deadLetter,
            Boolean reused) {

        /** A sample without reuse provenance. */
        public Sample(
                String stream,
                long seq,
                long captureTs,
                long readTs,
                long emitAgeMs,
                boolean skipped,
                String level,
                String top1,
                boolean deadLetter) {
            this(stream, seq, captureTs, readTs, emitAgeMs, skipped, level, top1, deadLetter, null);
        }

        /** Read time minus capture time. */
        public long readAgeMs() {
            return readTs - captureTs;
        }

        /** Emission time ({@code captureTs + ageMs}); the read time for dead letters. */
        public long emitTs() {
            return emitAgeMs < 0 ? readTs : captureTs + emitAgeMs;
        }

        public boolean labelled() {
            return !skipped && !deadLetter;
        }
    }

    private final String bs;
    private final String labelsTopic;
    private final String deadLetterTopic;
    private final boolean fromBeginning;
    private final List<Sample> samples = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stopped;
    private volatile RuntimeException failure;

    /**
     * @param deadLetterTopic also read this topic; null for labels only
     * @param fromBeginning read the topics from their start, else from their end at {@link #start()}
     */
    public LabelReader(String bs, String labelsTopic, String deadLetterTopic, boolean fromBeginning) {
        this.bs = bs;
        this.labelsTopic = labelsTopic;
        this.deadLetterTopic = deadLetterTopic;
        this.fromBeginning = fromBeginning;
        this.thread = new Thread(this::loop, "label-reader-" + labelsTopic);
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    private void loop() {
        try (KafkaConsumer<byte[], byte[]> c = PipelineRuns.consumer(bs)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : deadLetterTopic == null ? List.of(labelsTopic) : List.of(labelsTopic, deadLetterTopic)) {
                c.partitionsFor(t).forEach(i -> parts.add(new TopicPartition(t, i.partition())));
            }
            c.assign(parts);
            if (fromBeginning) {
                c.seekToBeginning(parts);
            } else {
                c.seekToEnd(parts);
            }
            parts.forEach(c::position);
            while (!stopped) {
                List<Sample> batch = new ArrayList<>();
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                    long now = System.currentTimeMillis();
                    batch.add(r.topic().equals(labelsTopic) ? label(r, now) : deadLetter(r, now));
                }
                synchronized (samples) {
                    samples.addAll(batch);
                }
            }
        } catch (RuntimeException e) {
            failure = e;
        }
    }

    private static Sample label(ConsumerRecord<byte[], byte[]> r, long now) {
        LabelRecord l = LabelRecord.fromJson(r.value());
        String top1 = l.labels().isEmpty() ? null : l.labels().get(0).label();
        return new Sample(
                l.stream(),
                l.seq(),
                l.captureTs(),
                now,
                l.ageMs(),
                l.skipped(),
                l.level().schedule(),
                top1,
                false,
                l.reuse() == null ? null : l.reuse().reused());
    }

    private static Sample deadLetter(ConsumerRecord<byte[], byte[]> r, long now) {
        String stream = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
        return new Sample(
                stream,
                header(r, WireFormat.FRAME_SEQ),
                header(r, WireFormat.CAPTURE_TS),
                now,
                -1,
                false,
                null,
                null,
                true);
    }

    private static long header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        if (h == null) {
            return -1;
        }
        try {
            return Long.parseLong(new String(h.value(), StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Records read so far. */
    public int count() {
        synchronized (samples) {
            return samples.size();
        }
    }

    /** A copy of the records read from index {@code from} on. */
    public List<Sample> since(int from) {
        synchronized (samples) {
            return new ArrayList<>(samples.subList(Math.min(from, samples.size()), samples.size()));
        }
    }

    /** A copy of every record read so far. */
    public List<Sample> all() {
        return since(0);
    }

    /** The reader's failure, if it stopped on one. */
    public RuntimeException failure() {
        return failure;
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
