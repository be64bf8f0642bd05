package org.tocomstream.job.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.tocomstream.stream.WireFormat;

/**
 * Publishes encoded frames of {@code N} streams to the frames topic at {@code F} frames per second
 * per stream, in the wire format: key = stream id, value = the image, headers {@value
 * WireFormat#FRAME_SEQ}, {@value WireFormat#CAPTURE_TS} and {@value WireFormat#CONTENT_TYPE}, record
 * timestamp = capture time. Frames of all streams are spread evenly over each second (stream
 * {@code i} of {@code N} is offset by {@code i / (N F)}); when encoding falls behind the schedule,
 * frames go out as fast as they can be made, never skipped.
 *
 * <pre>{@code
 * FramePublisher.Settings s = new FramePublisher.Settings("frames", 4, 10.0, "cam-", 100, null);
 * try (FramePublisher p = FramePublisher.create(bootstrap, s, (stream, seq) -> encode(stream, seq))) {
 *     p.run();    // blocks: 4 streams x 100 frames at 10 fps each
 * }
 * }</pre>
 */
public final class FramePublisher implements AutoCloseable {

    /** Makes the frame {@code seq} of stream {@code stream} (0-based), or null when done. */
    @FunctionalInterface
    public interface FrameSupplier {
        Encoded next(int stream, long seq) throws Exception;
    }

    /** An encoded image and its MIME type ({@code image/jpeg}, {@code image/png}). */
    public record Encoded(byte[] bytes, String contentType) {
        public Encoded {
            Objects.requireNonNull(bytes, "bytes");
        }
    }

    /**
     * What to publish.
     *
     * @param topic the frames topic
     * @param streams number of streams, ids {@code streamPrefix + i}
     * @param fps frames per second per stream; 0 = as fast as possible
     * @param streamPrefix stream id prefix, e.g. {@code cam-}
     * @param framesPerStream stop after this many frames per stream; negative = no limit
     * @param duration stop after this long; null = no limit
     */
    public record Settings(
            String topic, int streams, double fps, String streamPrefix, long framesPerStream, Duration duration) {
        public Settings {
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(streamPrefix, "streamPrefix");
            if (streams < 1) {
                throw new IllegalArgumentException("streams must be >= 1 but was " + streams);
            }
            if (!(fps >= 0) || Double.isInfinite(fps)) {
                throw new IllegalArgumentException("fps must be >= 0 but was " + fps);
            }
        }

        public String streamId(int stream) {
            return streamPrefix + stream;
        }
    }

    private final Producer<byte[], byte[]> producer;
    private final Settings settings;
    private final FrameSupplier supplier;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Exception> firstError = new AtomicReference<>();
    private volatile boolean stopped;

    public FramePublisher(Producer<byte[], byte[]> producer, Settings settings, FrameSupplier supplier) {
        this.producer = Objects.requireNonNull(producer, "producer");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.supplier = Objects.requireNonNull(supplier, "supplier");
    }

    /** A publisher with its own producer ({@code acks=all}, idempotent, 5 ms linger). */
    public static FramePublisher create(String bootstrapServers, Settings settings, FrameSupplier supplier) {
        return create(bootstrapServers, Map.of(), settings, supplier);
    }

    /** A publisher with its own producer and extra client properties (e.g. security settings). */
    public static FramePublisher create(
            String bootstrapServers, Map<String, String> clientProperties, Settings settings, FrameSupplier supplier) {
        return new FramePublisher(producer(bootstrapServers, clientProperties), settings, supplier);
    }

    /**
     * The producer {@link #create} makes ({@code acks=all}, idempotent, 5 ms linger), for callers
     * that run several publishers one after another on one producer (closing it themselves).
     */
    public static Producer<byte[], byte[]> producer(String bootstrapServers, Map<String, String> clientProperties) {
        Properties p = new Properties();
        p.putAll(clientProperties);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "tocom-stream-frames");
        return new KafkaProducer<>(p);
    }

    /**
     * Publishes until every stream is done (its supplier returned null or it reached {@code
     * framesPerStream}), {@code duration} has passed, or {@link #stop()} was called; then flushes.
     *
     * @throws Exception the supplier's first failure, or the first failed send
     */
    public void run() throws Exception {
        int n = settings.streams();
        long[] seq = new long[n];
        boolean[] done = new boolean[n];
        int live = n;
        long start = System.nanoTime();
        long end = settings.duration() == null
                ? Long.MAX_VALUE
                : start + settings.duration().toNanos();
        double slotNanos = settings.fps() == 0 ? 0 : 1e9 / (settings.fps() * n);
        long slot = 0;
        while (live > 0 && !stopped && firstError.get() == null) {
            if (slotNanos > 0) {
                long due = start + (long) (slot * slotNanos);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            if (System.nanoTime() >= end || stopped) {
                break;
            }
            int s = (int) (slot % n);
            slot++;
            if (done[s]) {
                continue;
            }
            if (settings.framesPerStream() >= 0 && seq[s] >= settings.framesPerStream()) {
                done[s] = true;
                live--;
                continue;
            }
            long captureTs = System.currentTimeMillis();
            Encoded frame = supplier.next(s, seq[s]);
            if (frame == null) {
                done[s] = true;
                live--;
                continue;
            }
            send(settings.streamId(s), seq[s], captureTs, frame);
            seq[s]++;
        }
        producer.flush();
        Exception e = firstError.get();
        if (e != null) {
            throw e;
        }
    }

    private void send(String streamId, long seq, long captureTs, Encoded frame) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(
                settings.topic(), null, captureTs, streamId.getBytes(StandardCharsets.UTF_8), frame.bytes());
        record.headers().add(WireFormat.FRAME_SEQ, Long.toString(seq).getBytes(StandardCharsets.US_ASCII));
        record.headers().add(WireFormat.CAPTURE_TS, Long.toString(captureTs).getBytes(StandardCharsets.US_ASCII));
        if (frame.contentType() != null) {
            record.headers().add(WireFormat.CONTENT_TYPE, frame.contentType().getBytes(StandardCharsets.US_ASCII));
        }
        sent.incrementAndGet();
        producer.send(record, (meta, error) -> {
            if (error == null) {
                acked.incrementAndGet();
            } else {
                failed.incrementAndGet();
                firstError.compareAndSet(null, error);
            }
        });
    }

    /** Asks {@link #run()} to return after the frame it is making. Thread-safe. */
    public void stop() {
        stopped = true;
    }

    /** Frames handed to the producer so far. */
    public long sent() {
        return sent.get();
    }

    /** Frames the broker acknowledged. */
    public long acknowledged() {
        return acked.get();
    }

    /** Frames whose send failed. */
    public long failed() {
        return failed.get();
    }

    @Override
    public void close() {
        stopped = true;
        producer.close(Duration.ofSeconds(10));
    }
}
