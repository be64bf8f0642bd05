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

    /**
     * The table for {@code options}; client properties that may hold a credential are masked
     * ({@link #isSecret}). Options derived from others when not set ({@code kafka.group-id}) show
     * the derived value, marked {@code (derived)}.
     */
    public static String describe(ReadableConfig conf, List<ConfigOption<?>> options) {
        int width = options.stream().mapToInt(o -> o.key().length()).max().orElse(0);
        StringBuilder sb = new StringBuilder("effective configuration:\n");
        for (ConfigOption<?> option : options) {
            boolean isDefault = conf.getOptional(option).isEmpty();
            Optional<String> derived = isDefault ? StreamJobOptions.derivedValue(conf, option) : Optional.empty();
            sb.append("  ")
                    .append(option.key())
                    .append(" ".repeat(width - option.key().length()))
                    .append(" = ")
                    .append(derived.orElseGet(() -> text(conf, option)));
            if (derived.isPresent()) {
                sb.append("  (derived)");
            } else if (isDefault && option.hasDefaultValue()) {
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
                            .map(e -> e.getKey() + ":"
                                    + (isSecret(String.valueOf(e.getKey()), String.valueOf(e.getValue()))
                                            ? "****"
                                            : e.getValue()))
                            .sorted()
                            .collect(Collectors.joining(","));
        }
        Configuration one = new Configuration();
        one.set(option, value);
        String text = one.toMap().get(option.key());
        return text == null ? String.valueOf(value) : text;
    }

    /** Parts of a client property's key that mark its value as a credential. */
    private static final List<String> SECRET_WORDS =
            List.of("password", "passphrase", "secret", "jaas", "token", "credential", "certificate", "callback");

    /**
     * Whether a client property's value is masked in the print: when its key, lower-cased,
     * contains one of {@code password, passphrase, secret, jaas, token, credential, certificate,
     * callback}; when the key's last word (split at '.', '-' and '_') ends in {@code key} ({@code
     * ssl.keystore.key}, {@code api-key}); or when the value holds a PEM block ({@code -----BEGIN}).
     * So {@code key.serializer}, {@code ssl.keystore.location} and {@code ssl.keystore.type} stay
     * readable.
     */
    static boolean isSecret(String key, String value) {
        String k = key.toLowerCase(Locale.ROOT);
        String[] words = k.split("[._-]");
        return SECRET_WORDS.stream().anyMatch(k::contains)
                || (words.length > 0 && words[words.length - 1].endsWith("key"))
                || value.contains("-----BEGIN");
    }
}
