package org.tocomstream.job.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.junit.jupiter.api.Test;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.pipeline.DemoOptions;
import org.tocomstream.job.pipeline.EffectiveConfig;
import org.tocomstream.job.pipeline.StreamJobOptions;

class JobArgsTest {

    private static final OptionParser PARSER =
            JobArgs.declare(JobArgs.declare(new OptionParser("run"), JobArgs.JOB), JobArgs.DEMO);

    private static Configuration parse(String... argv) throws UsageException {
        ParsedArgs args = PARSER.parse(argv);
        Configuration conf = JobArgs.configuration(args, JobArgs.JOB);
        conf.addAll(JobArgs.configuration(args, JobArgs.DEMO));
        JobArgs.validate(conf, args);
        return conf;
    }

    private static String error(String... argv) {
        try {
            parse(argv);
        } catch (UsageException e) {
            return e.getMessage();
        }
        throw new AssertionError("no usage error");
    }

    @Test
    void everyJobOptionHasAFlag() {
        assertThat(JobArgs.JOB)
                .extracting(JobArgs.Binding::option)
                .containsExactlyInAnyOrderElementsOf(StreamJobOptions.all());
        assertThat(JobArgs.DEMO)
                .extracting(JobArgs.Binding::option)
                .containsExactlyInAnyOrderElementsOf(DemoOptions.all());
    }

    @Test
    void flagsSetTypedOptions() throws UsageException {
        Configuration c = parse(
                "--bootstrap",
                "k1:9092,k2:9092",
                "--delivery",
                "exactly-once",
                "--checkpoint-interval",
                "2s",
                "--transaction-timeout",
                "1 min",
                "--max-delay",
                "20ms",
                "--max-batch",
                "16",
                "--max-bytes",
                "2mb",
                "--bounded",
                "--starting-offsets",
                "latest",
                "--kafka-properties",
                "security.protocol:SSL,client.rack:r1,max.request.size:4194304",
                "--fps",
                "2.5",
                "--run-for",
                "30s");

        assertThat(c.get(StreamJobOptions.BOOTSTRAP_SERVERS)).isEqualTo("k1:9092,k2:9092");
        assertThat(c.get(StreamJobOptions.DELIVERY_GUARANTEE)).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(c.get(StreamJobOptions.CHECKPOINT_INTERVAL)).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.get(StreamJobOptions.TRANSACTION_TIMEOUT)).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.get(StreamJobOptions.MAX_DELAY)).isEqualTo(Duration.ofMillis(20));
        assertThat(c.get(StreamJobOptions.MAX_BATCH)).isEqualTo(16);
        assertThat(c.get(StreamJobOptions.MAX_FRAME_BYTES)).isEqualTo(MemorySize.parse("2mb"));
        assertThat(c.get(StreamJobOptions.BOUNDED)).isTrue();
        assertThat(c.get(StreamJobOptions.STARTING_OFFSETS)).isEqualTo(StreamJobOptions.StartingOffsets.LATEST);
        assertThat(c.get(StreamJobOptions.KAFKA_PROPERTIES))
                .isEqualTo(Map.of("security.protocol", "SSL", "client.rack", "r1", "max.request.size", "4194304"));
        assertThat(c.get(DemoOptions.FPS)).isEqualTo(2.5);
        assertThat(c.get(DemoOptions.RUN_FOR)).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.getOptional(StreamJobOptions.TOP_K)).isEmpty();
    }

    @Test
    void badValuesNameTheFlag() {
        assertThat(error("--max-batch", "many")).isEqualTo("run: --max-batch: expected an integer but got 'many'");
        assertThat(error("--max-delay", "soon"))
                .isEqualTo("run: --max-delay: expected a duration such as 50ms, 2s or 10min but got 'soon'");
        assertThat(error("--delivery", "twice"))
                .isEqualTo("run: --delivery: expected one of exactly-once, at-least-once, none but got 'twice'");
        assertThat(error("--max-bytes", "lots"))
                .isEqualTo("run: --max-bytes: expected a size such as 512kb or 16mb but got 'lots'");
        assertThat(error("--labels-topic", "")).isEqualTo("run: --labels-topic: expected a value but got ''");
    }

    @Test
    void validationErrorsUseFlagsNotKeys() {
        assertThat(error("--max-batch", "0")).isEqualTo("run: --max-batch: must be > 0 but was 0");
        assertThat(error("--level", "tome")).startsWith("run: --level: ");
        assertThat(error("--bootstrap", "kafka"))
                .isEqualTo("run: --bootstrap: expected HOST:PORT[,HOST:PORT...] but was 'kafka'");
        assertThat(error("--labels-topic", "frames"))
                .isEqualTo(
                        "run: --frames-topic, --labels-topic and --dead-letter-topic must be three different topics");
        assertThat(error("--delivery", "exactly-once", "--checkpoint-interval", "10s", "--transaction-timeout", "15s"))
                .startsWith("run: --transaction-timeout (PT15S) must be at least twice --checkpoint-interval (PT10S)");
    }

    @Test
    void transactionNamingDefaultsToPoolingAndTakesEitherStrategy() throws UsageException {
        assertThat(parse().get(StreamJobOptions.TRANSACTION_NAMING)).isEqualTo(TransactionNamingStrategy.POOLING);
        assertThat(parse("--transaction-naming", "incrementing").get(StreamJobOptions.TRANSACTION_NAMING))
                .isEqualTo(TransactionNamingStrategy.INCREMENTING);
        assertThat(parse("--transaction-naming", "POOLING").get(StreamJobOptions.TRANSACTION_NAMING))
                .isEqualTo(TransactionNamingStrategy.POOLING);
        assertThat(error("--transaction-naming", "random"))
                .isEqualTo("run: --transaction-naming: expected one of incrementing, pooling but got 'random'");
        assertThat(Configuration.fromMap(Map.of("kafka.transaction-naming", "incrementing"))
                        .get(StreamJobOptions.TRANSACTION_NAMING))
                .as("the key in a Flink configuration")
                .isEqualTo(TransactionNamingStrategy.INCREMENTING);
        assertThat(PARSER.optionsHelp()).contains("--transaction-naming pooling|incrementing", "default POOLING");
    }

    @Test
    void decodeBudgetIsASizeAndMustBePositive() throws UsageException {
        assertThat(parse().get(StreamJobOptions.MAX_DECODED_BYTES)).isEqualTo(MemorySize.parse("64mb"));
        assertThat(parse("--max-decoded-bytes", "16mb").get(StreamJobOptions.MAX_DECODED_BYTES))
                .isEqualTo(MemorySize.parse("16mb"));
        assertThat(error("--max-decoded-bytes", "0"))
                .isEqualTo("run: --max-decoded-bytes: must be > 0 but was 0 bytes");
    }

    @Test
    void helpShowsFlagKeyAndDefault() {
        String help = PARSER.optionsHelp();
        assertThat(help)
                .contains(
                        "--max-delay DURATION",
                        "vit.batch.max-delay, default 50 ms",
                        "--bounded ",
                        "Longest a frame waits for its batch to fill")
                .doesNotContain("Description@");
    }

    @Test
    void effectiveConfigurationMarksDefaultsAndMasksSecrets() throws UsageException {
        Configuration c =
                parse("--bootstrap", "k:1", "--kafka-properties", "sasl.jaas.config:secret,ssl.key.password:pw,a:b");
        String table = EffectiveConfig.describe(c, StreamJobOptions.all());
        assertThat(table)
                .contains("kafka.bootstrap-servers", "= k:1")
                .containsPattern("kafka\\.topic\\.frames +=  ?frames  \\(default\\)")
                .contains("sasl.jaas.config:****", "ssl.key.password:****", "a:b")
                .doesNotContain("secret", ":pw")
                .contains("vit.model.dir", "(not set)");
        assertThat(table.lines().count()).isEqualTo(StreamJobOptions.all().size() + 1);
    }

    @Test
    void aKafkaPropertiesParseErrorNamesTheEntryButNotTheValues() {
        String e = error(
                "--bootstrap", "k:1", "--kafka-properties", "security.protocol:SSL,ssl.key.password:hunter2:x,a:b");
        assertThat(e)
                .contains("--kafka-properties", "entry 2", "ssl.key.password")
                .doesNotContain("hunter2", "SSL");

        String noKey = error("--kafka-properties", "a:b,s3cr3t-without-colon");
        assertThat(noKey).contains("--kafka-properties", "entry 2").doesNotContain("s3cr3t");
    }

    @Test
    void compensatorFlagsSetTheirOptionsAndBadValuesNameTheFlag() throws UsageException {
        Configuration defaults = parse();
        assertThat(defaults.get(StreamJobOptions.COMPENSATOR)).isEqualTo("auto");
        assertThat(defaults.getOptional(StreamJobOptions.COMPENSATOR_SCALE)).isEmpty();

        Configuration c = parse("--compensator", "/plugins/tocom.safetensors", "--compensator-scale", "0.05");
        assertThat(c.get(StreamJobOptions.COMPENSATOR)).isEqualTo("/plugins/tocom.safetensors");
        assertThat(c.get(StreamJobOptions.COMPENSATOR_SCALE)).isEqualTo(0.05);
        assertThat(parse("--compensator", "none").get(StreamJobOptions.COMPENSATOR))
                .isEqualTo("none");

        assertThat(error("--compensator-scale", "big"))
                .isEqualTo("run: --compensator-scale: expected a number but got 'big'");
        assertThat(error("--compensator-scale", "-1"))
                .isEqualTo("run: --compensator-scale: must be finite and >= 0 but was -1.0");
        assertThat(error("--compensator", "")).isEqualTo("run: --compensator: expected a value but got ''");
        assertThat(PARSER.optionsHelp())
                .contains(
                        "--compensator FILE|auto|none",
                        "vit.model.compensator, default auto",
                        "--compensator-scale S",
                        "vit.model.compensator-scale");
    }

    @Test
    void theStreamIdCapIsSetByItsFlagAndCheckedNamingIt() throws UsageException {
        assertThat(parse("--max-key-bytes", "1kb").get(StreamJobOptions.MAX_KEY_BYTES))
                .isEqualTo(MemorySize.parse("1kb"));
        assertThat(error("--max-key-bytes", "64kb"))
                .isEqualTo("run: --max-key-bytes: must be > 0 and at most 32768 bytes (half the 65536 bytes a"
                        + " dead letter keeps for key and headers) but was 64 kb");
    }

    @Test
    void aValueCapTheSinksCannotWriteIsRefusedNamingTheFlag() {
        assertThat(error("--max-bytes", "2mb"))
                .startsWith("run: --max-bytes (2097152 bytes) must be at most 983040 bytes:")
                .contains("max.request.size", "--kafka-properties");
        assertThat(error("--kafka-properties", "max.request.size:-1"))
                .isEqualTo("run: --kafka-properties: max.request.size must be a positive integer (bytes) but was '-1'");
    }

    @Test
    void unknownFlagSuggestsTheNearOne() {
        assertThatThrownBy(() -> parse("--max-batches", "3"))
                .hasMessage("run: unknown option '--max-batches' (did you mean --max-batch?)");
    }
}
