package org.tocomstream.job.run;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.description.HtmlFormatter;
import org.tocomstream.job.cli.OptionParser;
import org.tocomstream.job.cli.ParsedArgs;
import org.tocomstream.job.cli.UsageException;
import org.tocomstream.job.pipeline.ControlOptions;
import org.tocomstream.job.pipeline.DemoOptions;
import org.tocomstream.job.pipeline.ReuseOptions;
import org.tocomstream.job.pipeline.StreamJobOptions;

/**
 * Binds one command-line flag to each {@link StreamJobOptions} (and, for the local run, {@link
 * DemoOptions}) option: {@code --max-batch 16} sets {@code vit.batch.max-size}. Values are parsed
 * by Flink's own conversion for the option's type (durations such as {@code 50ms} or {@code 2 s},
 * sizes such as {@code 16m}); enums also accept dashes and lower case ({@code exactly-once}).
 * Errors name the flag.
 */
public final class JobArgs {

    /** One flag and the option it sets; {@code metavar == null} for a boolean flag. */
    public record Binding(String flag, String metavar, ConfigOption<?> option) {}

    public static final List<Binding> JOB = List.of(
            new Binding("--bootstrap", "HOST:PORT", StreamJobOptions.BOOTSTRAP_SERVERS),
            new Binding("--frames-topic", "NAME", StreamJobOptions.FRAMES_TOPIC),
            new Binding("--labels-topic", "NAME", StreamJobOptions.LABELS_TOPIC),
            new Binding("--dead-letter-topic", "NAME", StreamJobOptions.DEAD_LETTER_TOPIC),
            new Binding("--group-id", "ID", StreamJobOptions.GROUP_ID),
            new Binding("--starting-offsets", "committed|earliest|latest", StreamJobOptions.STARTING_OFFSETS),
            new Binding("--bounded", null, StreamJobOptions.BOUNDED),
            new Binding("--kafka-properties", "K:V[,K:V]", StreamJobOptions.KAFKA_PROPERTIES),
            new Binding("--delivery", "at-least-once|exactly-once|none", StreamJobOptions.DELIVERY_GUARANTEE),
            new Binding("--checkpoint-interval", "DURATION", StreamJobOptions.CHECKPOINT_INTERVAL),
            new Binding("--transactional-id-prefix", "TEXT", StreamJobOptions.TRANSACTIONAL_ID_PREFIX),
            new Binding("--transaction-timeout", "DURATION", StreamJobOptions.TRANSACTION_TIMEOUT),
            new Binding("--transaction-naming", "pooling|incrementing", StreamJobOptions.TRANSACTION_NAMING),
            new Binding("--model", "DIR", StreamJobOptions.MODEL_DIR),
            new Binding("--device", "auto|cpu|gpuN", StreamJobOptions.DEVICE),
            new Binding("--gpu-resource", "NAME", StreamJobOptions.GPU_RESOURCE),
            new Binding("--compensator", "FILE|auto|none", StreamJobOptions.COMPENSATOR),
            new Binding("--compensator-scale", "S", StreamJobOptions.COMPENSATOR_SCALE),
            new Binding("--student", "DIR", StreamJobOptions.STUDENT),
            new Binding("--level", "LEVEL", StreamJobOptions.LEVEL),
            new Binding("--max-batch", "N", StreamJobOptions.MAX_BATCH),
            new Binding("--max-delay", "DURATION", StreamJobOptions.MAX_DELAY),
            new Binding("--max-in-flight", "N", StreamJobOptions.MAX_IN_FLIGHT),
            new Binding("--top-k", "K", StreamJobOptions.TOP_K),
            new Binding("--max-bytes", "SIZE", StreamJobOptions.MAX_FRAME_BYTES),
            new Binding("--max-key-bytes", "SIZE", StreamJobOptions.MAX_KEY_BYTES),
            new Binding("--max-pixels", "N", StreamJobOptions.MAX_PIXELS),
            new Binding("--max-decoded-bytes", "SIZE", StreamJobOptions.MAX_DECODED_BYTES),
            new Binding("--job-name", "NAME", StreamJobOptions.JOB_NAME),
            new Binding("--parallelism", "N", StreamJobOptions.PARALLELISM),
            new Binding("--control", "fixed|adaptive", ControlOptions.POLICY),
            new Binding("--ladder", "LEVEL[;LEVEL...]", ControlOptions.LADDER),
            new Binding("--latency-target", "DURATION", ControlOptions.LATENCY_TARGET),
            new Binding("--target-utilization", "U", ControlOptions.TARGET_UTILIZATION),
            new Binding("--restore-utilization", "U", ControlOptions.RESTORE_UTILIZATION),
            new Binding("--degrade-dwell", "DURATION", ControlOptions.DEGRADE_DWELL),
            new Binding("--restore-dwell", "DURATION", ControlOptions.RESTORE_DWELL),
            new Binding("--shed", "off|deadline|latest-per-stream", ControlOptions.SHED_MODE),
            new Binding("--shed-deadline", "DURATION", ControlOptions.SHED_DEADLINE),
            new Binding("--reuse-max-streams", "N", ReuseOptions.MAX_STREAMS),
            new Binding("--reuse-refresh-frames", "N", ReuseOptions.REFRESH_FRAMES),
            new Binding("--reuse-scene-cut", "F", ReuseOptions.SCENE_CUT));

    static final List<Binding> DEMO = List.of(
            new Binding("--streams", "N", DemoOptions.STREAMS),
            new Binding("--fps", "F", DemoOptions.FPS),
            new Binding("--frame-size", "PX", DemoOptions.FRAME_SIZE),
            new Binding("--data-seed", "N", DemoOptions.SEED),
            new Binding("--partitions", "N", DemoOptions.PARTITIONS),
            new Binding("--run-for", "DURATION", DemoOptions.RUN_FOR));

    private JobArgs() {}

    /** Declares the flags of {@code bindings} on {@code parser}, help text from the options. */
    public static OptionParser declare(OptionParser parser, List<Binding> bindings) {
        for (Binding b : bindings) {
            String help = wrap(description(b.option()) + " [" + b.option().key() + defaultText(b.option()) + "]", 72);
            if (b.metavar() == null) {
                parser.flag(b.flag(), help);
            } else {
                parser.value(b.flag(), b.metavar(), help);
            }
        }
        return parser;
    }

    /**
     * The options set on the command line (unset ones keep their defaults).
     *
     * @throws UsageException naming the flag whose value does not parse or fails validation
     */
    public static Configuration configuration(ParsedArgs args, List<Binding> bindings) throws UsageException {
        Configuration conf = new Configuration();
        for (Binding b : bindings) {
            if (args.has(b.flag())) {
                set(conf, b, args.string(b.flag()).orElse(""), args);
            }
        }
        return conf;
    }

    /**
     * {@link StreamJobOptions#validate} with the option keys in its messages replaced by their flags.
     *
     * @throws UsageException for the first problem
     */
    public static void validate(Configuration conf, ParsedArgs args) throws UsageException {
        List<String> errors = StreamJobOptions.validate(conf);
        if (!errors.isEmpty()) {
            throw args.error(withFlags(errors.get(0)));
        }
    }

    /**
     * Checks the ranges of the demo options (streams, fps, frame size, partitions, run time).
     *
     * @throws UsageException naming the flag of the first value out of range
     */
    static void validateDemo(Configuration demo, ParsedArgs args) throws UsageException {
        if (demo.get(DemoOptions.STREAMS) < 0) {
            throw args.error("--streams", "must be >= 0 but was " + demo.get(DemoOptions.STREAMS));
        }
        if (!(demo.get(DemoOptions.FPS) > 0)) {
            throw args.error("--fps", "must be > 0 but was " + demo.get(DemoOptions.FPS));
        }
        int px = demo.get(DemoOptions.FRAME_SIZE);
        if (px < 16 || px > 4096) {
            throw args.error("--frame-size", "must be in [16, 4096] but was " + px);
        }
        if (demo.get(DemoOptions.PARTITIONS) < 1) {
            throw args.error("--partitions", "must be >= 1 but was " + demo.get(DemoOptions.PARTITIONS));
        }
        if (demo.get(DemoOptions.RUN_FOR).isNegative()) {
            throw args.error("--run-for", "must not be negative");
        }
    }

    /** {@code message} with every option key replaced by its flag. */
    public static String withFlags(String message) {
        List<Binding> byKeyLength = new ArrayList<>(JOB);
        byKeyLength.addAll(DEMO);
        byKeyLength.sort(Comparator.comparingInt((Binding b) -> b.option().key().length())
                .reversed());
        String m = message;
        for (Binding b : byKeyLength) {
            m = m.replace(b.option().key(), b.flag());
        }
        return m;
    }

    private static <T> void set(Configuration conf, Binding b, String raw, ParsedArgs args) throws UsageException {
        @SuppressWarnings("unchecked")
        ConfigOption<T> option = (ConfigOption<T>) b.option();
        String text = b.metavar() == null ? "true" : raw.trim();
        Class<?> type = valueClass(option);
        T value;
        if (type.isEnum()) {
            // By constant name, ignoring case and '-' vs '_' (Flink compares toString(), which
            // some enums override, e.g. DeliveryGuarantee's "exactly-once").
            String want = text.toUpperCase(Locale.ROOT).replace('-', '_');
            value = Arrays.stream(type.getEnumConstants())
                    .filter(c -> ((Enum<?>) c).name().equals(want))
                    .findFirst()
                    .map(c -> {
                        @SuppressWarnings("unchecked")
                        T t = (T) c;
                        return t;
                    })
                    .orElseThrow(() -> args.error(b.flag(), "expected " + expected(type) + " but got '" + raw + "'"));
        } else {
            try {
                value = Configuration.fromMap(Map.of(option.key(), text)).get(option);
            } catch (IllegalArgumentException e) {
                if (type == Map.class) {
                    // Client properties may hold credentials: say where, never what.
                    throw args.error(
                            b.flag(),
                            "expected " + expected(type) + " but " + badEntry(option, text)
                                    + " does not parse (values are not shown)");
                }
                throw args.error(b.flag(), "expected " + expected(type) + " but got '" + raw + "'");
            }
        }
        if (value instanceof String && ((String) value).isEmpty()) {
            throw args.error(b.flag(), "expected " + expected(type) + " but got ''");
        }
        conf.set(option, value);
    }

    /**
     * The first entry of a {@code K:V[,K:V]} list that does not parse on its own, by position and,
     * when the text before its first ':' looks like a client property name, by key; never a value.
     */
    static String badEntry(ConfigOption<?> option, String text) {
        String[] entries = text.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            try {
                Configuration.fromMap(Map.of(option.key(), entries[i])).get(option);
            } catch (IllegalArgumentException e) {
                int colon = entries[i].indexOf(':');
                String key = colon < 0 ? "" : entries[i].substring(0, colon).trim();
                return key.matches("[a-z][a-z0-9-]*(\\.[a-z0-9-]+)+")
                        ? "entry " + (i + 1) + " (key '" + key + "')"
                        : "entry " + (i + 1);
            }
        }
        // Every comma-separated piece parses alone: the quoting across them does not.
        return "the quoting of an entry";
    }

    /** Value types of the options without a default that are not strings. */
    private static final Map<ConfigOption<?>, Class<?>> TYPES_WITHOUT_DEFAULT =
            Map.of(StreamJobOptions.COMPENSATOR_SCALE, Double.class);

    /** The option's value type, from its default (options without one are strings unless listed). */
    private static Class<?> valueClass(ConfigOption<?> option) {
        if (!option.hasDefaultValue()) {
            return TYPES_WITHOUT_DEFAULT.getOrDefault(option, String.class);
        }
        Object d = option.defaultValue();
        if (d instanceof Enum) {
            return ((Enum<?>) d).getDeclaringClass();
        }
        return d instanceof Map ? Map.class : d.getClass();
    }

    private static String expected(Class<?> type) {
        if (type == Integer.class || type == Long.class) {
            return "an integer";
        }
        if (type == Double.class) {
            return "a number";
        }
        if (type == Duration.class) {
            return "a duration such as 50ms, 2s or 10min";
        }
        if (type == MemorySize.class) {
            return "a size such as 512kb or 16mb";
        }
        if (type == Map.class) {
            return "KEY:VALUE[,KEY:VALUE...]";
        }
        if (type.isEnum()) {
            return "one of "
                    + Arrays.stream(type.getEnumConstants())
                            .map(c -> ((Enum<?>) c)
                                    .name()
                                    .toLowerCase(Locale.ROOT)
                                    .replace('_', '-'))
                            .collect(Collectors.joining(", "));
        }
        return "a value";
    }

    /** The option's description as plain text (Flink only formats it as HTML). */
    static String description(ConfigOption<?> option) {
        return new HtmlFormatter()
                .format(option.description())
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&");
    }

    private static String defaultText(ConfigOption<?> option) {
        if (!option.hasDefaultValue()) {
            return "";
        }
        Configuration one = new Configuration();
        @SuppressWarnings("unchecked")
        ConfigOption<Object> o = (ConfigOption<Object>) option;
        one.set(o, option.defaultValue());
        String text = one.toMap().get(option.key());
        return text == null || text.isEmpty() ? "" : ", default " + text;
    }

    private static String wrap(String text, int width) {
        StringBuilder out = new StringBuilder();
        int col = 0;
        for (String word : text.split(" ")) {
            if (col > 0 && col + 1 + word.length() > width) {
                out.append('\n');
                col = 0;
            } else if (col > 0) {
                out.append(' ');
                col++;
            }
            out.append(word);
            col += word.length();
        }
        return out.toString();
    }
}
