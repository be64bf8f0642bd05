package org.tocomstream.job.cli;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.DoublePredicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The options and positional arguments of one command, with typed getters. Every getter and check
 * throws a {@link UsageException} whose message names the command and the option, as in {@code
 * predict: --tome: expected a non-negative integer but got 'x'}.
 */
public final class ParsedArgs {

    private final String command;
    private final Map<String, String> values;
    private final List<String> positionals;

    public ParsedArgs(String command, Map<String, String> values, List<String> positionals) {
        this.command = command;
        this.values = Map.copyOf(values);
        this.positionals = List.copyOf(positionals);
    }

    public boolean has(String option) {
        return values.containsKey(option);
    }

    public List<String> positionals() {
        return positionals;
    }

    public Optional<String> string(String option) {
        return Optional.ofNullable(values.get(option));
    }

    public String string(String option, String defaultValue) {
        return values.getOrDefault(option, defaultValue);
    }

    public Optional<Path> path(String option) throws UsageException {
        String v = values.get(option);
        if (v == null) {
            return Optional.empty();
        }
        if (v.isEmpty()) {
            throw error(option, "expected a path but got ''");
        }
        try {
            return Optional.of(Paths.get(v));
        } catch (RuntimeException e) {
            throw error(option, "expected a path but got '" + v + "'");
        }
    }

    public OptionalInt nonNegativeInt(String option) throws UsageException {
        return intAtLeast(option, 0, "a non-negative integer");
    }

    public int nonNegativeInt(String option, int defaultValue) throws UsageException {
        return nonNegativeInt(option).orElse(defaultValue);
    }

    public OptionalInt positiveInt(String option) throws UsageException {
        return intAtLeast(option, 1, "a positive integer");
    }

    public int positiveInt(String option, int defaultValue) throws UsageException {
        return positiveInt(option).orElse(defaultValue);
    }

    /** A comma-separated list of positive integers, e.g. {@code 1,8,32}. */
    public List<Integer> positiveIntList(String option, List<Integer> defaultValue) throws UsageException {
        String v = values.get(option);
        if (v == null) {
            return defaultValue;
        }
        List<Integer> out = new ArrayList<>();
        for (String part : list(option)) {
            OptionalInt n = parseInt(part);
            if (n.isEmpty() || n.getAsInt() < 1) {
                throw error(option, "expected a comma-separated list of positive integers but got '" + v + "'");
            }
            out.add(n.getAsInt());
        }
        return out;
    }

    /**
     * A finite decimal number accepted by {@code valid}; {@code expected} says what is accepted,
     * as in {@code "a number > 0"}. NaN, infinities and hexadecimal forms are rejected.
     */
    public OptionalDouble number(String option, DoublePredicate valid, String expected) throws UsageException {
        String v = values.get(option);
        if (v == null) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(decimal(option, v, valid, expected));
    }

    /**
     * A comma-separated list of finite decimal numbers, each accepted by {@code valid} (and all
     * different when {@code distinct}); {@code defaultValue} when the option is absent. The error
     * names the first item that is not accepted.
     */
    public List<Double> numberList(
            String option, List<Double> defaultValue, boolean distinct, DoublePredicate valid, String expected)
            throws UsageException {
        if (!has(option)) {
            return defaultValue;
        }
        List<Double> out = new ArrayList<>();
        for (String item : list(option)) {
            double d = decimal(option, item, valid, expected);
            if (distinct && out.contains(d)) {
                throw error(option, "expected " + expected + " but got '" + item + "'");
            }
            out.add(d);
        }
        return List.copyOf(out);
    }

    /** {@code text} as a finite decimal number accepted by {@code valid}. */
    private double decimal(String option, String text, DoublePredicate valid, String expected) throws UsageException {
        String t = text.trim();
        double d;
        try {
            // Only plain decimal text: Double.parseDouble would also take "NaN", "0x1p3", "1d".
            if (!t.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) {
                throw new NumberFormatException(t);
            }
            d = Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw error(option, "expected " + expected + " but got '" + text + "'");
        }
        if (!Double.isFinite(d) || !valid.test(d)) {
            throw error(option, "expected " + expected + " but got '" + text + "'");
        }
        return d;
    }

    public double number(String option, double defaultValue, DoublePredicate valid, String expected)
            throws UsageException {
        return number(option, valid, expected).orElse(defaultValue);
    }

    /** Any integer that fits a {@code long} (seeds). */
    public OptionalLong longValue(String option) throws UsageException {
        String v = values.get(option);
        if (v == null) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            throw error(option, "expected an integer but got '" + v + "'");
        }
    }

    /** Fails unless {@code option} was given; {@code metavar} shows what it takes. */
    public void required(String option, String metavar) throws UsageException {
        if (!has(option)) {
            throw error("missing required option " + option + " " + metavar);
        }
    }

    /**
     * A comma-separated list of non-empty items; an empty item ({@code 1,,2} or a trailing comma)
     * is an error.
     */
    public List<String> list(String option) throws UsageException {
        String v = values.get(option);
        if (v == null) {
            return List.of();
        }
        List<String> items = Stream.of(v.split(",", -1)).map(String::trim).collect(Collectors.toList());
        if (items.stream().anyMatch(String::isEmpty)) {
            throw error(option, "expected a comma-separated list without empty items but got '" + v + "'");
        }
        return items;
    }

    /**
     * A list of compression-level texts: separated by semicolons when the value holds one (then an
     * item may contain commas, as in {@code tome:8,4;gtp:8,theta=0.6}), else by commas as {@link
     * #list}. Empty items are an error.
     */
    public List<String> levelList(String option) throws UsageException {
        String v = values.get(option);
        if (v == null || !v.contains(";")) {
            return list(option);
        }
        List<String> items = Stream.of(v.split(";", -1)).map(String::trim).collect(Collectors.toList());
        if (items.stream().anyMatch(String::isEmpty)) {
            throw error(option, "expected a semicolon-separated list without empty items but got '" + v + "'");
        }
        return items;
    }

    /** Fails if more than one of {@code options} was given. */
    public void atMostOne(String... options) throws UsageException {
        String first = null;
        for (String o : options) {
            if (has(o)) {
                if (first != null) {
                    throw new UsageException(String.format("%s: %s and %s cannot be used together", command, first, o));
                }
                first = o;
            }
        }
    }

    /** Fails if {@code option} was given without {@code required}. */
    public void requires(String option, String required) throws UsageException {
        if (has(option) && !has(required)) {
            throw error(option, "requires " + required);
        }
    }

    /** A usage error about {@code option}. */
    public UsageException error(String option, String detail) {
        return UsageException.of(command, option, detail);
    }

    /** A usage error about the command line as a whole. */
    public UsageException error(String detail) {
        return UsageException.of(command, null, detail);
    }

    private OptionalInt intAtLeast(String option, int min, String what) throws UsageException {
        String v = values.get(option);
        if (v == null) {
            return OptionalInt.empty();
        }
        OptionalInt n = parseInt(v);
        if (n.isEmpty() || n.getAsInt() < min) {
            throw error(option, "expected " + what + " but got '" + v + "'");
        }
        return n;
    }

    private static OptionalInt parseInt(String text) {
        try {
            return OptionalInt.of(Integer.parseInt(text.trim()));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }
}
