package org.tocomstream.job.tocom;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.tocomstream.job.kafka.FrameDeserializationSchema;
import org.tocomstream.model.ImageDecodeException;
import org.tocomstream.model.ImagePreprocessor;
import org.tocomstream.model.train.TrainingData;
import org.tocomstream.stream.DecodeConfig;
import org.tocomstream.stream.FrameRecord;
import org.tocomstream.stream.FrameValidator;

/**
 * Unlabelled frames read once from a frames topic in the wire format ({@code wire-format.md}), for
 * {@code tocom train --topic}: every partition from its beginning up to the end offsets seen at
 * the start (a bounded read at {@code read_committed}), at most {@code max} frames, checked and
 * decoded by the job's own {@link FrameValidator}; records the job would dead-letter are skipped
 * and counted. The encoded values are kept (not the pixels) and decoded again on each {@link
 * #get}, so memory is the size of the JPEG/PNG bytes.
 */
public final class KafkaFrameData implements TrainingData {

    private final List<byte[]> values;
    private final List<String> streams;
    private final long[] seqs;
    private final ImagePreprocessor preprocessor;
    private final int skipped;
    private final String firstSkipReason;

    private KafkaFrameData(
            List<byte[]> values,
            List<String> streams,
            long[] seqs,
            ImagePreprocessor preprocessor,
            int skipped,
            String firstSkipReason) {
        this.values = values;
        this.streams = streams;
        this.seqs = seqs;
        this.preprocessor = preprocessor;
        this.skipped = skipped;
        this.firstSkipReason = firstSkipReason;
    }

    /**
     * Reads up to {@code max} valid frames of {@code topic}.
     *
     * @param progress one line now and then (frames read so far)
     * @throws IllegalArgumentException when the topic does not exist
     * @throws org.apache.kafka.common.KafkaException when the broker cannot be reached in {@code timeout}
     */
    static KafkaFrameData read(
            String bootstrap,
            String topic,
            int max,
            ImagePreprocessor pre,
            DecodeConfig limits,
            Duration timeout,
            Consumer<String> progress) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "tocom-train-" + UUID.randomUUID());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        FrameValidator validator = new FrameValidator(pre, limits);
        List<byte[]> values = new ArrayList<>();
        List<String> streams = new ArrayList<>();
        List<Long> seqs = new ArrayList<>();
        int skipped = 0;
        String firstReason = null;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<PartitionInfo> infos = c.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic '" + topic + "' does not exist at " + bootstrap);
            }
            List<TopicPartition> parts = new ArrayList<>();
            infos.forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
            long nextReport = System.nanoTime() + 5_000_000_000L;
            long idleSince = System.nanoTime();
            while (values.size() < max && !reachedEnd(c, parts, end)) {
                boolean any = false;
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    any = true;
                    if (values.size() >= max) {
                        break;
                    }
                    FrameRecord record = FrameDeserializationSchema.toFrameRecord(r);
                    FrameValidator.Outcome o = validator.validate(record);
                    if (o.frame() != null) {
                        values.add(record.value());
                        streams.add(o.frame().stream());
                        seqs.add(o.frame().seq());
                    } else {
                        skipped++;
                        if (firstReason == null) {
                            firstReason = o.deadLetter().reason();
                        }
                    }
                }
                if (any) {
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince > timeout.toNanos()) {
                    break; // nothing more arrives (e.g. aborted transactions at the end)
                }
                if (System.nanoTime() >= nextReport) {
                    progress.accept(
                            String.format("read %d frames of %s so far (%d skipped)", values.size(), topic, skipped));
                    nextReport += 5_000_000_000L;
                }
            }
        }
        return new KafkaFrameData(
                List.copyOf(values),
                List.copyOf(streams),
                seqs.stream().mapToLong(Long::longValue).toArray(),
                pre,
                skipped,
                firstReason);
    }

    private static boolean reachedEnd(
            KafkaConsumer<?, ?> c, List<TopicPartition> parts, Map<TopicPartition, Long> end) {
        for (TopicPartition tp : parts) {
            if (c.position(tp) < end.getOrDefault(tp, 0L)) {
                return false;
            }
        }
        return true;
    }

    /** The encoded frames (JPEG/PNG bytes as read from the topic), in read order. */
    public List<byte[]> encoded() {
        return values;
    }

    /** Each frame's stream id (the record key), in read order. */
    public List<String> streams() {
        return streams;
    }

    /** Each frame's sequence number in its stream (the frame-seq header), in read order. */
    public long[] seqs() {
        return seqs.clone();
    }

    /** Records skipped because the job would dead-letter them. */
    int skipped() {
        return skipped;
    }

    /** The reason the first skipped record was skipped, or null. */
    String firstSkipReason() {
        return firstSkipReason;
    }

    @Override
    public int size() {
        return values.size();
    }

    @Override
    public List<String> labels() {
        return List.of();
    }

    @Override
    public Example get(int index, SplittableRandom augment) {
        try {
            return new Example(preprocessor.preprocess(values.get(index)), -1);
        } catch (ImageDecodeException e) {
            // Decoded once already when it was read: this cannot happen short of a changed decoder.
            throw new IllegalStateException("frame " + index + " no longer decodes: " + e.getMessage(), e);
        }
    }
}
