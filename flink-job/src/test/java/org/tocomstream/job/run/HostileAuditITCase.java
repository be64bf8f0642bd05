package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.tocomstream.job.cli.Cli;
import org.tocomstream.job.testutils.CommandLines;
import org.tocomstream.job.testutils.CommandLines.Result;
import org.tocomstream.job.testutils.KafkaBrokerExtension;
import org.tocomstream.stream.WireFormat;

/**
 * {@code produce --hostile} and {@code audit} against a real broker, without the job: the
 * answers are written by hand (a dead letter for every frame), so the audit's counts are known.
 */
class HostileAuditITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(Map.of("message.max.bytes", "4194304"));

    private static final int RECORDS = 60;

    @TempDir
    Path tmp;

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private String[] audit(Path json) {
        return new String[] {
            "audit",
            "--bootstrap",
            KAFKA.bootstrapServers(),
            "--frames-topic",
            "hf",
            "--labels-topic",
            "hl",
            "--dead-letter-topic",
            "hd",
            "--timeout",
            "3",
            "--settle",
            "0.5",
            "--json",
            json.toString()
        };
    }

    @Test
    void hostileRecordsCarryTheirKindAndTheAuditCountsTheirAnswers() throws Exception {
        Result p = CommandLines.run(
                "produce",
                "--bootstrap",
                KAFKA.bootstrapServers(),
                "--topic",
                "hf",
                "--hostile",
                "--count",
                Integer.toString(RECORDS),
                "--data-seed",
                "3",
                "--partitions",
                "2");
        assertThat(p.status()).as(p.err()).isZero();
        assertThat(p.out()).startsWith("produce: hostile records=" + RECORDS + " bytes=");
        assertThat(p.out()).contains("png-rgba16-6000 ");
        KAFKA.createTopic("hl", 1);
        KAFKA.createTopic("hd", 1);

        List<ConsumerRecord<byte[], byte[]>> frames =
                KAFKA.read("hf", RECORDS, Duration.ofSeconds(30), Duration.ZERO, false);
        assertThat(frames).hasSize(RECORDS);
        int label = 0;
        List<ProducerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> f : frames) {
            assertThat(header(f, HostileFrames.ID)).isNotNull();
            assertThat(header(f, HostileFrames.KIND)).isNotBlank();
            label += "label".equals(header(f, HostileFrames.EXPECT)) ? 1 : 0;
            String position = f.topic() + "-" + f.partition() + "@" + f.offset();
            ProducerRecord<byte[], byte[]> d = new ProducerRecord<>("hd", null, null);
            d.headers().add(WireFormat.ERROR, (position + ": by hand").getBytes(StandardCharsets.UTF_8));
            deadLetters.add(d);
        }
        Path json = tmp.resolve("audit.json");
        Result lost = CommandLines.run(audit(json));
        assertThat(lost.status()).as(lost.err()).isEqualTo(Cli.FAILED);
        assertThat(lost.out())
                .isEqualTo("audit: sent=60 labelled=0 dead-lettered=0 lost=60 duplicated=0 unknown=0 wrong=0"
                        + " ambiguous=0" + System.lineSeparator());

        KAFKA.produce(deadLetters);
        Result dead = CommandLines.run(audit(json));
        assertThat(dead.status()).isEqualTo(Cli.FAILED);
        assertThat(dead.out())
                .isEqualTo(String.format(
                        "audit: sent=60 labelled=0 dead-lettered=60 lost=0 duplicated=0 unknown=0 wrong=%d"
                                + " ambiguous=0%n",
                        label));
        assertThat(label).isPositive();
        assertThat(Files.readString(json)).contains("\"wrong\": " + label, "\"by hand\": 60");
    }
}
