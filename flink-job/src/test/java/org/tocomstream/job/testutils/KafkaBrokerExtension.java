package org.tocomstream.job.testutils;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.tocomstream.job.kafka.EmbeddedKafka;
import org.tocomstream.job.kafka.KafkaTopics;

/**
 * A real single-node KRaft broker ({@link EmbeddedKafka}) for one test class, with helpers to
 * create topics, produce and read back records.
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();
 * ...
 * KAFKA.createTopic("frames", 2);
 * List<ConsumerRecord<byte[], byte[]>> labels = KAFKA.readAll("labels", 100, Duration.ofSeconds(60), true);
 * }</pre>
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {

    private final Map<String, String> brokerOverrides;
    private EmbeddedKafka kafka;

    public KafkaBrokerExtension() {
        this(Map.of());
    }

    public KafkaBrokerExtension(Map<String, String> brokerOverrides) {
        this.brokerOverrides = Map.copyOf(brokerOverrides);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        kafka = EmbeddedKafka.start(brokerOverrides);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (kafka != null) {
            kafka.close();
        }
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public EmbeddedKafka broker() {
        return kafka;
    }

    public void createTopic(String topic, int partitions) {
        try (KafkaTopics topics = KafkaTopics.connect(bootstrapServers())) {
            topics.ensure(Map.of(topic, partitions));
        }
    }

    /** Creates {@code topic} with topic-level overrides (e.g. {@code max.message.bytes}). */
    public void createTopic(String topic, int partitions, Map<String, String> configs) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs)))
                    .all()
                    .get();
        }
    }

    /** A producer of byte keys and values ({@code acks=all}, idempotent). */
    public KafkaProducer<byte[], byte[]> producer() {
        return producer(Map.of());
    }

    private KafkaProducer<byte[], byte[]> producer(Map<String, Object> extra) {
        Properties p = new Properties();
        p.putAll(extra);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p);
    }

    /** Sends {@code records} and waits for all acknowledgements. */
    public void produce(List<ProducerRecord<byte[], byte[]>> records) throws Exception {
        produce(records, Map.of());
    }

    /**
     * Sends {@code records} with a producer of extra client properties (e.g. a larger {@code
     * max.request.size}) and waits for all acknowledgements.
     */
    public void produce(List<ProducerRecord<byte[], byte[]>> records, Map<String, Object> producerProperties)
            throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = producer(producerProperties)) {
            List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
            for (ProducerRecord<byte[], byte[]> r : records) {
                acks.add(producer.send(r));
            }
            for (java.util.concurrent.Future<?> f : acks) {
                f.get();
            }
        }
    }

    /**
     * Reads {@code topic} from the beginning with a fresh consumer until {@code expected} records
     * have arrived or {@code timeout} has passed, then keeps reading for {@code settle} to catch
     * records beyond {@code expected} (duplicates). Returns what it read, in partition order.
     *
     * @param readCommitted {@code isolation.level=read_committed} (else read_uncommitted)
     */
    public List<ConsumerRecord<byte[], byte[]>> read(
            String topic, int expected, Duration timeout, Duration settle, boolean readCommitted) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            long settleEnd = System.nanoTime() + settle.toNanos();
            while (System.nanoTime() < settleEnd) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
