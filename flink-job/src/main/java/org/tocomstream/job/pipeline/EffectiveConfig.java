package org.tocomstream.job.pipeline;

import java.util.List;
import java.util.Optional;
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

    /** The table for {@code options}; a value that contains "password" in its key is masked. */
    public static String describe(ReadableConfig conf, List<ConfigOption<?>> options) {
        int width = options.stream().mapToInt(o -> o.key().length()).max().orElse(0);
        StringBuilder sb = new StringBuilder("effective configuration:\n");
        for (ConfigOption<?> option : options) {
            String value = text(conf, option);
            boolean isDefault = conf.getOptional(option).isEmpty();
            sb.append("  ").append(option.key()).append(" ".repeat(width - option.key().length()))
                    .append(" = ").append(value);
            if (isDefault) {
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
        Configuration one = new Configuration();
        one.set(option, value);
        String text = one.toMap().get(option.key());
        if (text == null) {
            text = String.valueOf(value);
        }
        return option.key().contains("properties") ? maskSecrets(text) : text;
    }

    private static String maskSecrets(String mapText) {
        // Client properties may carry credentials (sasl.jaas.config, ssl.*.password).
        return mapText.replaceAll("((?:password|jaas\\.config)[^:,]*):[^,]*", "$1:****");
    }
}
