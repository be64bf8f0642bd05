package org.tocomstream.job.pipeline;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;

/**
 * The effective value of each option, printed when a job starts so that a log always says what
 * ran: one line per option, {@code key = value}, marked {@code (default)} when nobody set it.
 *
 * <pre>
 * effective configuration:
 *   kafka.bootstrap-servers       = 127.0.0.1:39127
 *   kafka.topic.frames            = frames             (default)
 *   vit.batch.max-delay           = 50 ms              (default)
 * </pre>
 */
public final class EffectiveConfig {

    private EffectiveConfig() {}

    /** The table for {@code options}; client properties whose key names a credential are masked. */
    public static String describe(ReadableConfig conf, List<ConfigOption<?>> options) {
        int width = options.stream().mapToInt(o -> o.key().length()).max().orElse(0);
        StringBuilder sb = new StringBuilder("effective configuration:\n");
        for (ConfigOption<?> option : options) {
            String value = text(conf, option);
            boolean isDefault = conf.getOptional(option).isEmpty();
            sb.append("  ")
                    .append(option.key())
                    .append(" ".repeat(width - option.key().length()))
                    .append(" = ")
                    .append(value);
            if (isDefault && option.hasDefaultValue()) {
                sb.append("  (default)");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** The value in Flink's own string form ({@code 50 ms}, {@code 16 mb}, {@code k:v,k2:v2}). */
    static <T> String text(ReadableConfig conf, ConfigOption<T> option) {
        Optional<T> set = conf.getOptional(option);
        T value = set.orElse(option.hasDefaultValue() ? option.defaultValue() : null);
        if (value == null) {
            return "(not set)";
        }
        if (value instanceof Map) {
            // Sorted k:v pairs; values of keys that carry credentials are masked.
            return ((Map<?, ?>) value)
                    .entrySet().stream()
                            .map(e -> e.getKey() + ":" + (isSecret(String.valueOf(e.getKey())) ? "****" : e.getValue()))
                            .sorted()
                            .collect(Collectors.joining(","));
        }
        Configuration one = new Configuration();
        one.set(option, value);
        String text = one.toMap().get(option.key());
        return text == null ? String.valueOf(value) : text;
    }

    private static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("jaas") || k.contains("secret");
    }
}
