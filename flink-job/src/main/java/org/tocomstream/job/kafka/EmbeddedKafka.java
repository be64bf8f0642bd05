package org.tocomstream.job.kafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka broker running inside this JVM: KRaft, one process acting as broker and
 * controller (static quorum of one), plaintext on {@code 127.0.0.1}, replication factor 1 for every
 * internal topic. It serves the no-argument demo ({@code java -jar tocom-stream.jar}) and the
 * integration tests; it is not meant for production data.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start(dataDir, Map.of())) {
 *     String bootstrap = kafka.bootstrapServers();   // "127.0.0.1:41231"
 *     ...
 * }
 * }</pre>
 *
 * <p>Built from the broker classes of {@code org.apache.kafka:kafka_2.13} directly (storage
 * {@link Formatter} + {@link KafkaRaftServer}), which is what {@code kafka-storage.sh format} and
 * {@code kafka-server-start.sh} run; the test kit of {@code kafka-test-common-runtime} would bring
 * JUnit into the job jar.
 *
 * <p>Transactions work: {@code transaction.max.timeout.ms} is Kafka's default (15 min) unless
 * overridden, so a transactional producer's {@code transaction.timeout.ms} must stay below it.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private static final String HOST = "127.0.0.1";
    private static final int NODE_ID = 1;
    private static final int PORT_ATTEMPTS = 3;

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path dataDir;
    private final boolean deleteDataDir;
    private final Map<String, String> config;
    private boolean closed;

    private EmbeddedKafka(
            KafkaRaftServer server,
            String bootstrapServers,
            Path dataDir,
            boolean deleteDataDir,
            Map<String, String> config) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.dataDir = dataDir;
        this.deleteDataDir = deleteDataDir;
        this.config = config;
    }

    /**
     * Formats a fresh temporary data directory, starts the broker and waits until it serves. The
     * directory is deleted by {@link #close()}.
     *
     * @param overrides broker settings that replace the defaults (e.g. {@code
     *     transaction.max.timeout.ms})
     */
    public static EmbeddedKafka start(Map<String, String> overrides) throws IOException {
        Path dir = Files.createTempDirectory("tocom-stream-kafka-");
        try {
            return start(dir, overrides, true);
        } catch (IOException | RuntimeException e) {
            deleteRecursively(dir);
            throw e;
        }
    }

    /**
     * Formats {@code dataDir} (which must be empty or absent), starts the broker and waits until
     * it serves.
     *
     * @param overrides broker settings that replace the defaults
     */
    public static EmbeddedKafka start(Path dataDir, Map<String, String> overrides) throws IOException {
        return start(dataDir, overrides, false);
    }

    private static EmbeddedKafka start(Path dataDir, Map<String, String> overrides, boolean temp) throws IOException {
        Objects.requireNonNull(overrides, "overrides");
        RuntimeException last = null;
        // Ports are probed free and then bound by the broker: another process may take one in
        // between, so retry with fresh ports (and a fresh log directory) a few times.
        for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
            Path logDir = dataDir.resolve("kraft-" + attempt);
            int port = freePort();
            Map<String, String> config = config(logDir, port, freePort(), overrides);
            try {
                return startOnce(dataDir, logDir, port, config, temp);
            } catch (RuntimeException e) {
                last = e;
                LOG.warn("Embedded Kafka failed to start (attempt {}): {}", attempt, e.toString());
                deleteRecursively(logDir);
            }
        }
        throw last;
    }

    private static EmbeddedKafka startOnce(
            Path dataDir, Path logDir, int port, Map<String, String> config, boolean temp) throws IOException {
        Files.createDirectories(logDir);
        Formatter formatter = new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(NODE_ID)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setReleaseVersion(MetadataVersion.latestProduction())
                .setControllerListenerName("CONTROLLER");
        try {
            formatter.run();
        } catch (Exception e) {
            throw new IllegalStateException("formatting Kafka storage in " + logDir + " failed: " + e, e);
        }
        Properties props = new Properties();
        props.putAll(config);
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props), Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            shutdownQuietly(server);
            throw e;
        }
        String bootstrap = HOST + ":" + port;
        EmbeddedKafka kafka = new EmbeddedKafka(server, bootstrap, dataDir, temp, config);
        kafka.awaitReady();
        LOG.info("Embedded Kafka (KRaft) serving at {}, data in {}", bootstrap, logDir);
        return kafka;
    }

    private static Map<String, String> config(
            Path logDir, int plaintextPort, int controllerPort, Map<String, String> overrides) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("process.roles", "broker,controller");
        c.put("node.id", Integer.toString(NODE_ID));
        c.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        c.put(
                "listeners",
                "PLAINTEXT://" + HOST + ":" + plaintextPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
        c.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + plaintextPort);
        c.put("controller.listener.names", "CONTROLLER");
        c.put("inter.broker.listener.name", "PLAINTEXT");
        c.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        c.put("log.dirs", logDir.toString());
        c.put("num.partitions", "1");
        c.put("offsets.topic.replication.factor", "1");
        // Fewer internal partitions than Kafka's 50: one node, and startup and the first group
        // join are much faster.
        c.put("offsets.topic.num.partitions", "4");
        c.put("transaction.state.log.replication.factor", "1");
        c.put("transaction.state.log.min.isr", "1");
        c.put("transaction.state.log.num.partitions", "4");
        c.put("share.coordinator.state.topic.replication.factor", "1");
        c.put("share.coordinator.state.topic.min.isr", "1");
        c.put("group.initial.rebalance.delay.ms", "0");
        c.putAll(overrides);
        return c;
    }

    private void awaitReady() {
        // startup() returns once the broker has registered and unfenced; a metadata round trip
        // proves the listener serves clients.
        try (KafkaTopics topics = KafkaTopics.connect(bootstrapServers)) {
            topics.awaitBroker(Duration.ofSeconds(60));
        }
    }

    /** {@code 127.0.0.1:PORT}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The broker's effective settings (defaults plus overrides). */
    public Map<String, String> config() {
        return Map.copyOf(config);
    }

    /** Stops the broker, waits for it, and deletes a temporary data directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        shutdownQuietly(server);
        if (deleteDataDir) {
            deleteRecursively(dataDir);
        }
    }

    private static void shutdownQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("Embedded Kafka did not shut down cleanly", e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free local port", e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not delete {}: {}", dir, e.toString());
        }
    }
}
