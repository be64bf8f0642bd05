package org.tocomstream.job.run;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.cli.CommandFailedException;
import org.tocomstream.job.cli.ShutdownSignal;

/**
 * {@code produce --hostile}: publishes {@code count} records of a {@link HostileFrames} sequence,
 * paced at {@code fps} records per second in all (0: as fast as the broker takes them), and prints
 * what it sent by kind.
 */
final class HostileProducer {

    /**
     * Largest request the producer sends: the biggest hostile record is 1.5 MB plus headers. The
     * broker (or topic) must accept it too: {@code message.max.bytes} of about 2 MB or more.
     */
    static final int MAX_REQUEST_BYTES = 4 << 20;

    private HostileProducer() {}

    /** Sends the records; fails when any was not acknowledged. */
    static void run(String bootstrap, String topic, int count, long seed, double fps, PrintStream out, PrintStream err)
            throws CommandFailedException {
        err.printf(
                Locale.ROOT,
                "produce: %d hostile records (seed %d) at %s records/s to %s at %s%n",
                count,
                seed,
                fps == 0 ? "max" : String.format(Locale.ROOT, "%.3g", fps),
                topic,
                bootstrap);
        HostileFrames frames = new HostileFrames(topic, seed);
        Map<String, long[]> byKind = new TreeMap<>();
        AtomicInteger acked = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<Exception> firstFailure = new AtomicReference<>();
        long bytes = 0;
        long start = System.nanoTime();
        ShutdownSignal signal = ShutdownSignal.install(() -> {}, 30);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProperties(bootstrap))) {
            for (int i = 0; i < count && !signal.signalled(); i++) {
                pace(start, i, fps);
                HostileFrames.Hostile h = frames.next();
                ProducerRecord<byte[], byte[]> r = h.record();
                long size = r.value() == null ? 0 : r.value().length;
                bytes += size;
                long[] k = byKind.computeIfAbsent(h.kind(), x -> new long[2]);
                k[0]++;
                k[1] += size;
                producer.send(r, (metadata, e) -> {
                    if (e == null) {
                        acked.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, e);
                    }
                });
                if ((i + 1) % 1000 == 0) {
                    err.printf(Locale.ROOT, "produce: %d records sent, %d acknowledged%n", i + 1, acked.get());
                }
            }
            producer.flush();
            report(bootstrap, topic, acked.get(), failed.get(), firstFailure.get(), bytes, byKind, start, signal, out);
        } finally {
            // Last: a Ctrl-C'd JVM may exit once the records are flushed and reported.
            signal.close();
        }
    }

    private static void report(
            String bootstrap,
            String topic,
            int acked,
            int failed,
            Exception firstFailure,
            long bytes,
            Map<String, long[]> byKind,
            long start,
            ShutdownSignal signal,
            PrintStream out)
            throws CommandFailedException {
        double secs = (System.nanoTime() - start) / 1e9;
        if (failed > 0) {
            throw new CommandFailedException(String.format(
                    Locale.ROOT,
                    "%d of %d hostile records not acknowledged by %s (the big ones need the broker's"
                            + " message.max.bytes >= 2 MB); first: %s",
                    failed,
                    acked + failed,
                    bootstrap,
                    Cli.describe(firstFailure)));
        }
        out.printf(
                Locale.ROOT,
                "produce: hostile records=%d bytes=%d topic=%s seconds=%.1f%s%n",
                acked,
                bytes,
                topic,
                secs,
                signal.signalled() ? " (stopped by signal)" : "");
        byKind.forEach((kind, k) -> out.printf(Locale.ROOT, "  %-28s %6d records %12d bytes%n", kind, k[0], k[1]));
    }

    private static Properties producerProperties(String bootstrap) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_REQUEST_BYTES);
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L << 20);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return p;
    }

    /** Sleeps until record {@code i} is due at {@code fps} records per second (0: never). */
    private static void pace(long start, int i, double fps) {
        if (fps <= 0) {
            return;
        }
        long due = start + (long) (i * 1e9 / fps);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
