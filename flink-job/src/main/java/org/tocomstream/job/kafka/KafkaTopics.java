package org.tocomstream.job.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The few admin operations the job's command line needs: wait for a broker, create topics that
 * are missing, read a broker setting, sum a topic's end offsets. One {@link Admin} client; close
 * it after use.
 *
 * <pre>{@code
 * try (KafkaTopics topics = KafkaTopics.connect("127.0.0.1:9092")) {
 *     topics.ensure(Map.of("frames", 4, "labels", 4));
 * }
 * }</pre>
 */
public final class KafkaTopics implements AutoCloseable {

    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final Admin admin;

    private KafkaTopics(Admin admin) {
        this.admin = admin;
    }

    private static final Pattern BOOTSTRAP_SERVERS = Pattern.compile("[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*");

    /** Whether {@code servers} has the form {@code HOST:PORT[,HOST:PORT...]}. */
    public static boolean isBootstrapServers(String servers) {
        return BOOTSTRAP_SERVERS.matcher(servers).matches();
    }

    /** An admin client for {@code bootstrapServers}; connects lazily. */
    public static KafkaTopics connect(String bootstrapServers) {
        return connect(bootstrapServers, Map.of());
    }

    /**
     * An admin client for {@code bootstrapServers} with extra client properties (security
     * settings, as {@code kafka.properties} gives them to the job); connects lazily.
     */
    public static KafkaTopics connect(String bootstrapServers, Map<String, String> clientProperties) {
        Properties props = new Properties();
        props.putAll(clientProperties);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CALL_TIMEOUT.toMillis());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "tocom-stream-admin");
        return new KafkaTopics(Admin.create(props));
    }

    /**
     * Waits until the cluster answers a metadata request and has a broker.
     *
     * @throws IllegalStateException naming the wait when none answered in time
     */
    public void awaitBroker(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                var nodes = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                if (!nodes.isEmpty()) {
                    return;
                }
            } catch (ExecutionException | TimeoutException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Kafka", e);
            }
        }
        throw new IllegalStateException(
                "no Kafka broker answered within " + timeout.toSeconds() + " s"
                        + (last == null ? "" : ": " + last.getMessage()),
                last);
    }

    /**
     * Creates each topic that does not exist yet with the given number of partitions (replication
     * factor: the broker's default). Existing topics are left as they are.
     *
     * @return the topics that were created
     */
    public List<String> ensure(Map<String, Integer> partitionsByTopic) {
        List<String> created = new ArrayList<>();
        for (Map.Entry<String, Integer> e : partitionsByTopic.entrySet()) {
            NewTopic topic = new NewTopic(e.getKey(), Optional.of(e.getValue()), Optional.empty());
            try {
                admin.createTopics(List.of(topic)).all().get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                created.add(e.getKey());
            } catch (ExecutionException ex) {
                if (!(ex.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException(
                            "creating topic " + e.getKey() + " failed: "
                                    + ex.getCause().getMessage(),
                            ex.getCause());
                }
            } catch (TimeoutException ex) {
                throw new IllegalStateException("creating topic " + e.getKey() + " timed out", ex);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", ex);
            }
        }
        return created;
    }

    /** Partition count of {@code topic}, or empty when it does not exist. */
    public Optional<Integer> partitions(String topic) {
        try {
            Map<String, TopicDescription> d = admin.describeTopics(List.of(topic))
                    .allTopicNames()
                    .get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return Optional.of(d.get(topic).partitions().size());
        } catch (ExecutionException e) {
            return Optional.empty();
        } catch (TimeoutException e) {
            throw new IllegalStateException("describing topic " + topic + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * A setting of one broker of the cluster (e.g. {@code transaction.max.timeout.ms}), or empty
     * when it cannot be read (no permission, no broker).
     */
    public Optional<String> brokerSetting(String name) {
        try {
            Node node = admin.describeCluster().nodes().get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS).stream()
                    .findFirst()
                    .orElse(null);
            if (node == null) {
                return Optional.empty();
            }
            return setting(new ConfigResource(ConfigResource.Type.BROKER, node.idString()), name);
        } catch (ExecutionException | TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /**
     * The effective value of a setting of {@code topic} (e.g. {@code max.message.bytes}): its
     * override, else the broker default it inherits; empty when the topic does not exist or the
     * setting cannot be read (no permission).
     */
    public Optional<String> topicSetting(String topic, String name) {
        try {
            return setting(new ConfigResource(ConfigResource.Type.TOPIC, topic), name);
        } catch (ExecutionException | TimeoutException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private Optional<String> setting(ConfigResource resource, String name)
            throws ExecutionException, TimeoutException, InterruptedException {
        Config config = admin.describeConfigs(List.of(resource))
                .all()
                .get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                .get(resource);
        ConfigEntry entry = config == null ? null : config.get(name);
        return entry == null ? Optional.empty() : Optional.ofNullable(entry.value());
    }

    /** The sum of the latest offsets of all partitions of {@code topic} (records ever written). */
    public long endOffsetSum(String topic) {
        Optional<Integer> n = partitions(topic);
        if (n.isEmpty()) {
            return 0;
        }
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < n.get(); p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        try {
            return admin.listOffsets(request).all().get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS).values().stream()
                    .mapToLong(i -> i.offset())
                    .sum();
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("listing offsets of " + topic + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
