package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.stream.LabelRecord;

/** The local run's counts against a real broker: what the last line reports. */
class StatusReporterITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final String FRAMES = "status-frames";
    private static final String LABELS = "status-labels";
    private static final String DEAD_LETTERS = "status-dead-letters";

    @Test
    void framesWrittenAsSoonAsItStartsAreCountedAndADrainedRunHasNoMoreLabelsThanFrames() throws Exception {
        for (String topic : List.of(FRAMES, LABELS, DEAD_LETTERS)) {
            KAFKA.createTopic(topic, 2);
        }
        KAFKA.produce(records(FRAMES, 5)); // an earlier run's frames: not this run's
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (KafkaProducer<byte[], byte[]> producer = KAFKA.producer();
                PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            StatusReporter status = new StatusReporter(
                    KAFKA.bootstrapServers(), Map.of(), FRAMES, LABELS, DEAD_LETTERS, out, null, System.nanoTime());

            // The cameras start right after the reporter, the job labels every frame, the run stops:
            // all well within the first status line's second.
            status.start();
            send(producer, records(FRAMES, 30));
            send(producer, records(LABELS, 30));
            status.close();

            assertThat(status.frames())
                    .as(bytes.toString(StandardCharsets.UTF_8))
                    .isEqualTo(30);
            assertThat(status.labels()).isEqualTo(30);
            assertThat(status.deadLetters()).isZero();
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, List<ProducerRecord<byte[], byte[]>> records)
            throws Exception {
        List<Future<?>> acks = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> r : records) {
            acks.add(producer.send(r));
        }
        for (Future<?> f : acks) {
            f.get();
        }
    }

    private static List<ProducerRecord<byte[], byte[]>> records(String topic, int n) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] key = ("cam-" + (i % 3)).getBytes(StandardCharsets.UTF_8);
            byte[] value = topic.equals(LABELS)
                    ? new LabelRecord(
                                    "cam-" + (i % 3),
                                    i,
                                    System.currentTimeMillis(),
                                    List.of(new LabelRecord.Label("red_circle", 0.9)),
                                    new LabelRecord.Level("none", "none", null),
                                    "vit_demo",
                                    1,
                                    1.0,
                                    10)
                            .toJson()
                    : new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) i};
            records.add(new ProducerRecord<>(topic, key, value));
        }
        return records;
    }
}
