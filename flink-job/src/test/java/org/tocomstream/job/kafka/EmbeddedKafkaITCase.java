package org.tocomstream.job.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.tocomstream.job.testutils.KafkaBrokerExtension;

/** The in-process KRaft broker: topics, plain and transactional produce, reading back, settings. */
class EmbeddedKafkaITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension(Map.of("transaction.max.timeout.ms", "120000"));

    @Test
    void createsTopicsAndRoundTripsRecordsWithHeaders() throws Exception {
        try (KafkaTopics topics = KafkaTopics.connect(KAFKA.bootstrapServers())) {
            assertThat(topics.ensure(Map.of("rt", 2))).containsExactly("rt");
            assertThat(topics.ensure(Map.of("rt", 2))).isEmpty();
            assertThat(topics.partitions("rt")).contains(2);
            assertThat(topics.partitions("missing")).isEmpty();
        }
        ProducerRecord<byte[], byte[]> r =
                new ProducerRecord<>("rt", "k".getBytes(StandardCharsets.UTF_8), new byte[] {7});
        r.headers().add("frame-seq", "5".getBytes(StandardCharsets.UTF_8));
        KAFKA.produce(List.of(r));

        List<ConsumerRecord<byte[], byte[]>> read = KAFKA.read("rt", 1, Duration.ofSeconds(30), Duration.ZERO, false);

        assertThat(read).singleElement().satisfies(c -> {
            assertThat(c.value()).containsExactly(7);
            assertThat(c.headers().lastHeader("frame-seq").value()).isEqualTo("5".getBytes(StandardCharsets.UTF_8));
        });
        try (KafkaTopics topics = KafkaTopics.connect(KAFKA.bootstrapServers())) {
            assertThat(topics.endOffsetSum("rt")).isEqualTo(1);
        }
    }

    @Test
    void transactionsCommitAndAbortAndTheTimeoutCapIsReadable() throws Exception {
        KAFKA.createTopic("tx", 1);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "it-tx");
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "60000");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx", new byte[] {1}));
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>("tx", new byte[] {2}));
            producer.commitTransaction();
        }

        assertThat(KAFKA.read("tx", 1, Duration.ofSeconds(30), Duration.ofMillis(500), true))
                .extracting(c -> c.value()[0])
                .containsExactly((byte) 2);
        try (KafkaTopics topics = KafkaTopics.connect(KAFKA.bootstrapServers())) {
            assertThat(topics.brokerSetting("transaction.max.timeout.ms")).contains("120000");
        }
    }
}
