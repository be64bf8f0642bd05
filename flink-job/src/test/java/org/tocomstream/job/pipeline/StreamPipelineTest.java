package org.tocomstream.job.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.Properties;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The Kafka source and sinks the pipeline builds, read back without a broker. */
class StreamPipelineTest {

    private static Configuration exactlyOnce() {
        Configuration c = new Configuration();
        c.set(StreamJobOptions.BOOTSTRAP_SERVERS, "k:9092");
        c.set(StreamJobOptions.DELIVERY_GUARANTEE, DeliveryGuarantee.EXACTLY_ONCE);
        return c;
    }

    private static String groupId(Configuration c) {
        Properties props = (Properties) field(StreamPipeline.source(c), "props");
        return props.getProperty(ConsumerConfig.GROUP_ID_CONFIG);
    }

    private static String labelsPrefix(Configuration c) {
        return (String) field(StreamPipeline.labelSink(c), "transactionalIdPrefix");
    }

    private static String deadLetterPrefix(Configuration c) {
        return (String) field(StreamPipeline.deadLetterSink(c), "transactionalIdPrefix");
    }

    /** A private field of a connector object: the connector exposes no getter for it. */
    static Object field(Object target, String name) {
        try {
            Field f = target.getClass().getDeclaredField(name);
            f.setAccessible(true);
            return f.get(target);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("no field " + name + " in " + target.getClass(), e);
        }
    }

    @Nested
    class KafkaIdentity {

        @Test
        void twoJobsThatDifferOnlyInNameDoNotShareGroupOrTransactionalIds() {
            Configuration a = exactlyOnce();
            a.set(StreamJobOptions.JOB_NAME, "gate-cameras");
            Configuration b = exactlyOnce();
            b.set(StreamJobOptions.JOB_NAME, "yard-cameras");

            assertThat(groupId(a)).isNotEqualTo(groupId(b));
            assertThat(labelsPrefix(a)).isNotEqualTo(labelsPrefix(b));
            assertThat(deadLetterPrefix(a)).isNotEqualTo(deadLetterPrefix(b));
            assertThat(labelsPrefix(a)).isNotEqualTo(deadLetterPrefix(a));
        }

        @Test
        void twoJobsThatDifferOnlyInTopicsDoNotShareGroupOrTransactionalIds() {
            Configuration a = exactlyOnce();
            Configuration b = exactlyOnce();
            b.set(StreamJobOptions.FRAMES_TOPIC, "frames-yard");
            b.set(StreamJobOptions.LABELS_TOPIC, "labels-yard");
            Configuration c = exactlyOnce();
            c.set(StreamJobOptions.LABELS_TOPIC, "labels-yard");

            assertThat(groupId(a)).isNotEqualTo(groupId(b)).isNotEqualTo(groupId(c));
            assertThat(labelsPrefix(a)).isNotEqualTo(labelsPrefix(b)).isNotEqualTo(labelsPrefix(c));
        }

        @Test
        void theDefaultsAreDerivedFromTheJobNameAndTopics() {
            Configuration c = exactlyOnce();
            c.set(StreamJobOptions.JOB_NAME, "gate cameras");

            assertThat(groupId(c)).isEqualTo("gate-cameras-frames-labels");
            assertThat(labelsPrefix(c)).isEqualTo("gate-cameras-frames-labels-labels");
            assertThat(deadLetterPrefix(c)).isEqualTo("gate-cameras-frames-labels-dead-letter");
        }

        @Test
        void explicitSettingsWin() {
            Configuration c = exactlyOnce();
            c.set(StreamJobOptions.JOB_NAME, "gate-cameras");
            c.set(StreamJobOptions.GROUP_ID, "ops-group");
            c.set(StreamJobOptions.TRANSACTIONAL_ID_PREFIX, "ops-tx");

            assertThat(groupId(c)).isEqualTo("ops-group");
            assertThat(labelsPrefix(c)).isEqualTo("ops-tx-labels");
            assertThat(deadLetterPrefix(c)).isEqualTo("ops-tx-dead-letter");
        }
    }

    @Nested
    class TransactionNaming {

        private TransactionNamingStrategy naming(Object sink) {
            return (TransactionNamingStrategy) field(sink, "transactionNamingStrategy");
        }

        @Test
        void bothExactlyOnceSinksPoolTheirTransactionalIdsByDefault() {
            Configuration c = exactlyOnce();

            assertThat(naming(StreamPipeline.labelSink(c))).isEqualTo(TransactionNamingStrategy.POOLING);
            assertThat(naming(StreamPipeline.deadLetterSink(c))).isEqualTo(TransactionNamingStrategy.POOLING);
        }

        @Test
        void incrementingIsTheOldBehaviourOnRequest() {
            Configuration c = exactlyOnce();
            c.set(StreamJobOptions.TRANSACTION_NAMING, TransactionNamingStrategy.INCREMENTING);

            assertThat(naming(StreamPipeline.labelSink(c))).isEqualTo(TransactionNamingStrategy.INCREMENTING);
            assertThat(naming(StreamPipeline.deadLetterSink(c))).isEqualTo(TransactionNamingStrategy.INCREMENTING);
        }
    }
}
